import { EventEmitter } from "node:events";
import type { RunStatus, RunStep, WorkflowExecutionStatus, WorkflowStepStatus } from "@symbiont/protocol";

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

/** In-process fan-out of run changes: waiting callers and live subscribers listen here. */
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
