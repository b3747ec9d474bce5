import { EventEmitter } from "node:events";
import type {
  ReviewStatus,
  RunStatus,
  RunStep,
  WorkflowExecutionStatus,
  WorkflowStepStatus,
} from "@symbiont/protocol";

/** A tool review moved on: every transition of its life, and its end by revocation or a changed definition. */
export interface ReviewTransitionEvent {
  type: "review.transition";
  tenantId: string;
  reviewId: string;
  toolName: string;
  mcpServer: string | null;
  from: string | null;
  to: ReviewStatus | "revoked" | "blocked";
  riskScore: number | null;
  replacedBy: string | null;
  at: string;
}

export type RunEvent =
  | { type: "run.status"; tenantId: string; agentId: string; runId: string; status: RunStatus; at: string }
  | { type: "run.step"; tenantId: string; agentId: string; runId: string; step: RunStep }
  | {
      type: "approval.requested";
      tenantId: string;
      agentId: string;
      runId: string;
      tool: string;
      arguments: Record<string, unknown>;
      at: string;
    }
  | ReviewTransitionEvent
  | DeploymentEvent
  | WorkflowEvent;

/** A workflow execution's progress; these carry no agent, only its tenant and execution. */
export type WorkflowEvent =
  | {
      type: "workflow.status";
      tenantId: string;
      executionId: string;
      workflowId: string;
      status: WorkflowExecutionStatus;
      at: string;
    }
  | {
      type: "workflow.step";
      tenantId: string;
      executionId: string;
      workflowId: string;
      stepId: string;
      stepType: string;
      status: WorkflowStepStatus;
      attempt: number;
      error: string | null;
      at: string;
    };

/** A deployment's state change or something that happened to one of its replicas. */
export interface DeploymentEvent {
  type: "deployment.event";
  tenantId: string;
  agentId: string;
  /** Never set: a deployment event belongs to no run, so followers of one run do not get it. */
  runId?: undefined;
  deploymentId: string;
  kind: "status" | "restarted" | "limit_exceeded" | "crashed" | "unresponsive";
  status: "deploying" | "running" | "stopped" | "failed";
  replica: number | null;
  detail: string;
  at: string;
}

/**
 * In-process fan-out of run changes and tool review transitions: waiting callers and live
 * subscribers listen here.
 */
export class RunEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every waiting request and subscriber is a listener; there is no fixed bound on them.
    this.emitter.setMaxListeners(0);
  }

  emit(event: RunEvent): void {
    this.emitter.emit("event", event);
  }

  subscribe(listener: (event: RunEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
