import { randomUUID } from "node:crypto";
import {
  FINISHED_WORKFLOW_STATUSES,
  type FieldIssue,
  type WorkflowApprovalRequest,
  type WorkflowDefinition,
  type WorkflowDefinitionList,
  type WorkflowExecution,
  type WorkflowExecutionPage,
  type WorkflowExecutionRequest,
  type WorkflowExecutionResponse,
  type WorkflowExecutionStatus,
  type WorkflowExecutionSummary,
  type WorkflowParameter,
  type WorkflowSpec,
  type WorkflowStepStatus,
} from "@symbiont/protocol";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import type { RunEvents } from "../runs/run-events.js";
import { storeScope } from "../runs/run-state.js";
import { conflict, fieldError, notFound, validationFailed } from "../server/app-error.js";
import { decodeCursor, encodeCursor } from "../server/page-cursor.js";
import type { WorkflowEngine } from "./workflow-engine.js";
import { agentsNamed, checkWorkflow, needsDefaultAgent } from "./workflow-graph.js";
import {
  UNFINISHED_EXECUTION,
  type WorkflowDefinitionRow,
  type WorkflowExecutionRow,
  type WorkflowRepository,
} from "./workflow-repository.js";

const DEFAULT_PAGE_SIZE = 50;
const SETTLED = new Set<string>([...FINISHED_WORKFLOW_STATUSES, "awaiting_approval"]);

export interface WorkflowRequestContext {
  requestId: string;
  sourceIp: string;
}

function toDefinition(row: WorkflowDefinitionRow): WorkflowDefinition {
  const spec = JSON.parse(row.spec) as WorkflowSpec;
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    parameters: spec.parameters,
    steps: spec.steps as unknown as Record<string, unknown>[],
    ...(spec.output === undefined ? {} : { output: spec.output }),
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

function toSummary(row: WorkflowExecutionRow): WorkflowExecutionSummary {
  return {
    id: row.id,
    workflow_id: row.workflow_id,
    workflow_name: row.workflow_name,
    version: row.version,
    status: row.status as WorkflowExecutionStatus,
    agent_id: row.agent_id,
    error: row.error,
    created_by: row.created_by,
    started_at: row.created_at,
    updated_at: row.updated_at,
    finished_at: row.finished_at,
  };
}

const TYPE_CHECKS: Record<WorkflowParameter["type"], (value: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number" && Number.isFinite(v),
  boolean: (v) => typeof v === "boolean",
  object: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  any: () => true,
};

/** Checks given parameters against the declared ones and fills in defaults. */
function bindParameters(
  declared: Record<string, WorkflowParameter>,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const issues: FieldIssue[] = [];
  const bound: Record<string, unknown> = {};
  for (const name of Object.keys(given))
    if (!Object.hasOwn(declared, name))
      issues.push({
        field: `body.parameters.${name}`,
        message: `is not a parameter of this workflow (it takes: ${Object.keys(declared).join(", ") || "none"})`,
      });
  for (const [name, parameter] of Object.entries(declared)) {
    const value = Object.hasOwn(given, name) ? given[name] : parameter.default;
    if (value === undefined || value === null) {
      if (parameter.required) issues.push({ field: `body.parameters.${name}`, message: "is required" });
      else bound[name] = null;
      continue;
    }
    if (!TYPE_CHECKS[parameter.type](value))
      issues.push({ field: `body.parameters.${name}`, message: `must be of type ${parameter.type}` });
    bound[name] = value;
  }
  if (issues.length > 0) throw validationFailed(issues);
  return bound;
}

/** Definitions (versioned), executions, cancelling and the decisions approval steps wait for. */
export class WorkflowService {
  constructor(
    private readonly repository: WorkflowRepository,
    private readonly agents: AgentRepository,
    private readonly engine: WorkflowEngine,
    private readonly events: RunEvents,
    private readonly audit: AuditTrail,
    private readonly config: () => Config,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, request: WorkflowSpec & { name: string }): Promise<WorkflowDefinition> {
    const { name, ...spec } = request;
    await this.check(scope, spec);
    const row = this.definitionRow(scope, randomUUID(), 1, name, spec);
    if (!(await this.repository.insertDefinition(row)))
      throw conflict(`A workflow named "${name}" already exists; publish a new version of it instead`);
    return toDefinition(row);
  }

  async createVersion(scope: Scope, idOrName: string, spec: WorkflowSpec): Promise<WorkflowDefinition> {
    await this.check(scope, spec);
    // Two publishers at once: the (name, version) key lets one win; the other takes the next number.
    for (let tries = 0; tries < 5; tries++) {
      const latest = await this.repository.latestDefinition(scope.tenantId, idOrName);
      if (!latest) throw notFound(`Workflow "${idOrName}"`);
      const row = this.definitionRow(scope, latest.id, latest.version + 1, latest.name, spec);
      if (await this.repository.insertDefinition(row)) return toDefinition(row);
    }
    throw conflict(`Workflow "${idOrName}" is being changed by others at this moment; try again`);
  }

  async get(scope: Scope, idOrName: string, version?: number): Promise<WorkflowDefinition> {
    const row =
      version === undefined
        ? await this.repository.latestDefinition(scope.tenantId, idOrName)
        : await this.repository.definitionVersion(scope.tenantId, idOrName, version);
    if (!row)
      throw notFound(
        version === undefined ? `Workflow "${idOrName}"` : `Version ${version} of workflow "${idOrName}"`,
      );
    return toDefinition(row);
  }

  async list(scope: Scope): Promise<WorkflowDefinitionList> {
    const rows = await this.repository.latestDefinitions(scope.tenantId, 1_000);
    return { items: rows.map((row) => this.summaryOf(row)) };
  }

  async versions(scope: Scope, idOrName: string): Promise<WorkflowDefinitionList> {
    const latest = await this.repository.latestDefinition(scope.tenantId, idOrName);
    if (!latest) throw notFound(`Workflow "${idOrName}"`);
    const rows = await this.repository.versions(scope.tenantId, latest.id);
    return { items: rows.map((row) => this.summaryOf(row)) };
  }

  async execute(scope: Scope, request: WorkflowExecutionRequest): Promise<WorkflowExecutionResponse> {
    const definition =
      request.version == null
        ? await this.repository.latestDefinition(scope.tenantId, request.workflow_id)
        : await this.repository.definitionVersion(scope.tenantId, request.workflow_id, request.version);
    if (!definition) throw notFound(`Workflow "${request.workflow_id}"`);
    const spec = JSON.parse(definition.spec) as WorkflowSpec;
    const acts = spec.steps.some(
      (step) => step.type === "agent" || step.type === "tool" || step.type === "map",
    );
    // Steps run agents and tools as the caller: executing them needs what running them needs.
    if (acts && !scopeAllows(scope, "agents:execute"))
      throw fieldError(
        "FORBIDDEN",
        "body.workflow_id",
        "runs agents or tools, which needs the agents:execute permission",
      );
    const agentId = request.agent_id ?? null;
    if (agentId !== null && !(await this.agents.findByTenantAndId(scope, agentId)))
      throw fieldError("VALIDATION_FAILED", "body.agent_id", `no agent "${agentId}" in this tenant`);
    const needing = needsDefaultAgent(spec);
    if (agentId === null && needing)
      throw fieldError(
        "VALIDATION_FAILED",
        "body.agent_id",
        `step "${needing}" names no agent, so agent_id is required`,
      );
    const parameters = bindParameters(spec.parameters, request.parameters ?? {});
    const at = this.now().toISOString();
    const id = randomUUID();
    await this.repository.insertExecution(
      {
        tenant_id: scope.tenantId,
        id,
        workflow_id: definition.id,
        workflow_name: definition.name,
        version: definition.version,
        status: "running",
        agent_id: agentId,
        parameters: JSON.stringify(parameters),
        spec: definition.spec,
        scope: JSON.stringify(storeScope(scope)),
        result: null,
        error: null,
        pending_approval: null,
        created_by: scope.principalId,
        created_at: at,
        updated_at: at,
        finished_at: null,
        ...this.engine.ownership(),
      },
      spec.steps.map((step, position) => ({
        tenant_id: scope.tenantId,
        execution_id: id,
        step_id: step.id,
        position,
        type: step.type,
        status: "pending",
        attempts: 0,
        output: null,
        error: null,
        run_ids: "[]",
        progress: null,
        started_at: null,
        finished_at: null,
      })),
    );
    this.events.emit({
      type: "workflow.status",
      tenantId: scope.tenantId,
      executionId: id,
      workflowId: definition.id,
      status: "running",
      at,
    });
    const settled =
      request.wait === false
        ? undefined
        : this.settled(scope.tenantId, id, request.wait_seconds ?? this.config().runWaitSeconds);
    this.engine.start(scope.tenantId, id);
    if (settled) await settled;
    const row = (await this.repository.findExecution(scope, id)) as WorkflowExecutionRow;
    return {
      execution_id: row.id,
      status: row.status as WorkflowExecutionStatus,
      started_at: row.created_at,
      result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    };
  }

  async execution(scope: Scope, id: string): Promise<WorkflowExecution> {
    const row = await this.requireExecution(scope, id);
    const steps = await this.repository.steps(row.tenant_id, row.id);
    const waiting = steps.find((step) => step.status === "awaiting_approval");
    const progress = waiting?.progress
      ? (JSON.parse(waiting.progress) as { approval_message?: string; requested_at?: string })
      : {};
    return {
      ...toSummary(row),
      parameters: JSON.parse(row.parameters) as Record<string, unknown>,
      result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
      pending_approval: waiting
        ? {
            step_id: waiting.step_id,
            message: progress.approval_message ?? "",
            requested_at: progress.requested_at ?? row.updated_at,
          }
        : null,
      steps: steps.map((step) => ({
        id: step.step_id,
        type: step.type,
        status: step.status as WorkflowStepStatus,
        attempts: step.attempts,
        output: step.output === null ? null : JSON.parse(step.output),
        error: step.error,
        run_ids: JSON.parse(step.run_ids) as string[],
        started_at: step.started_at,
        finished_at: step.finished_at,
      })),
    };
  }

  async executions(
    scope: Scope,
    query: {
      workflow_id?: string | undefined;
      status?: string | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    },
  ): Promise<WorkflowExecutionPage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.repository.listExecutions(
      scope.tenantId,
      { workflowId: query.workflow_id, status: query.status },
      limit + 1,
      before,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toSummary),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async cancel(scope: Scope, id: string): Promise<WorkflowExecution> {
    const row = await this.requireExecution(scope, id);
    const at = this.now().toISOString();
    const moved = await this.repository.transition(row.tenant_id, row.id, UNFINISHED_EXECUTION, {
      status: "cancelled",
      error: "cancelled",
      pending_approval: null,
      updated_at: at,
      finished_at: at,
    });
    if (!moved) throw conflict(`Workflow execution "${id}" has already finished (${row.status})`);
    this.events.emit({
      type: "workflow.status",
      tenantId: row.tenant_id,
      executionId: row.id,
      workflowId: row.workflow_id,
      status: "cancelled",
      at,
    });
    // The driver here stops its steps (cancelling their runs); elsewhere a driver sees the status at its next step.
    if (!(await this.engine.stop(row.tenant_id, row.id, "cancelled"))) {
      for (const step of await this.repository.steps(row.tenant_id, row.id))
        await this.repository.moveStep(
          row.tenant_id,
          row.id,
          step.step_id,
          ["pending", "awaiting_approval"],
          {
            status: "cancelled",
            finished_at: at,
          },
        );
    }
    return this.execution(scope, id);
  }

  async decide(
    scope: Scope,
    id: string,
    request: WorkflowApprovalRequest,
    context: WorkflowRequestContext,
  ): Promise<WorkflowExecution> {
    const row = await this.requireExecution(scope, id);
    if (!UNFINISHED_EXECUTION.includes(row.status as WorkflowExecutionStatus))
      throw conflict(`Workflow execution "${id}" has already finished (${row.status})`);
    const steps = await this.repository.steps(row.tenant_id, row.id);
    const waiting = steps.find((step) => step.status === "awaiting_approval");
    if (!waiting) throw conflict(`Workflow execution "${id}" is not waiting for an approval`);
    const actor = actorOf(scope);
    const at = this.now().toISOString();
    const approved = request.decision === "approve";
    const progress = waiting.progress ? (JSON.parse(waiting.progress) as Record<string, unknown>) : {};
    const decidedBy = { id: actor.id, kind: actor.kind, name: actor.name };
    const decision = { approved, decided_by: decidedBy, comment: request.comment ?? null, decided_at: at };
    // One decision wins: the step leaves awaiting_approval exactly once.
    const claimed = await this.repository.moveStep(
      row.tenant_id,
      row.id,
      waiting.step_id,
      ["awaiting_approval"],
      !approved
        ? {
            status: "failed",
            error: `step "${waiting.step_id}": denied by ${actor.name}${request.comment ? `: ${request.comment}` : ""}`,
            output: JSON.stringify(decision),
            finished_at: at,
          }
        : waiting.type === "approval"
          ? { status: "succeeded", output: JSON.stringify(decision), finished_at: at }
          : // A gated tool call: it runs now, its gate answered by the human.
            { status: "running", progress: JSON.stringify({ ...progress, approved: true, decision }) },
    );
    if (!claimed) throw conflict(`Workflow execution "${id}" is no longer waiting for this approval`);
    this.events.emit({
      type: "workflow.step",
      tenantId: row.tenant_id,
      executionId: row.id,
      workflowId: row.workflow_id,
      stepId: waiting.step_id,
      stepType: waiting.type,
      status: !approved ? "failed" : waiting.type === "approval" ? "succeeded" : "running",
      attempt: waiting.attempts,
      error: null,
      at,
    });
    await this.audit.record({
      actor,
      action: approved ? "workflow.step.approved" : "workflow.step.denied",
      target: { type: "workflow_execution", id: row.id },
      status: 200,
      requestId: context.requestId,
      sourceIp: context.sourceIp,
      details: { workflow_id: row.workflow_id, step_id: waiting.step_id, comment: request.comment ?? null },
    });
    // Tried whatever status was read above: a driver may have parked the execution since.
    const resumed = await this.repository.transition(row.tenant_id, row.id, ["awaiting_approval"], {
      status: "running",
      pending_approval: null,
      updated_at: at,
      ...this.engine.ownership(),
    });
    if (resumed)
      this.events.emit({
        type: "workflow.status",
        tenantId: row.tenant_id,
        executionId: row.id,
        workflowId: row.workflow_id,
        status: "running",
        at,
      });
    // A parked execution is now this node's to drive; a running one is woken where it runs here, and
    // a driver on another node picks the decision up when its current steps settle.
    if (resumed || this.engine.isActive(row.tenant_id, row.id)) this.engine.start(row.tenant_id, row.id);
    return this.execution(scope, id);
  }

  /** For the event stream: following an execution of another tenant is a 404 like any other. */
  async exists(tenantId: string, id: string): Promise<boolean> {
    return (await this.repository.findExecutionInTenant(tenantId, id)) !== undefined;
  }

  private summaryOf(row: WorkflowDefinitionRow) {
    const spec = JSON.parse(row.spec) as WorkflowSpec;
    return {
      id: row.id,
      name: row.name,
      version: row.version,
      description: row.description,
      steps_count: spec.steps.length,
      created_at: row.created_at,
    };
  }

  private definitionRow(scope: Scope, id: string, version: number, name: string, spec: WorkflowSpec) {
    return {
      tenant_id: scope.tenantId,
      id,
      version,
      name,
      description: spec.description,
      spec: JSON.stringify(spec),
      created_by: scope.principalId,
      created_at: this.now().toISOString(),
    };
  }

  /** The DAG's own checks, then every agent it names must exist in the tenant. */
  private async check(scope: Scope, spec: WorkflowSpec): Promise<void> {
    const { issues } = checkWorkflow(spec);
    for (const { agentId, field } of agentsNamed(spec))
      if (!(await this.agents.findByTenantAndId(scope, agentId)))
        issues.push({ field, message: `no agent "${agentId}" in this tenant` });
    if (issues.length > 0) throw validationFailed(issues);
  }

  private async requireExecution(scope: Scope, id: string): Promise<WorkflowExecutionRow> {
    const row = await this.repository.findExecution(scope, id);
    if (!row) throw notFound(`Workflow execution "${id}"`);
    return row;
  }

  /** Resolves when the execution finishes or waits for a human, or after `seconds`. */
  private settled(tenantId: string, executionId: string, seconds: number): Promise<void> {
    return new Promise((resolve) => {
      // A shutdown leaves executions running (they resume at the next start): waiting callers get
      // their answer now rather than holding the server's close up.
      const shutdown = this.engine.shuttingDown;
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        shutdown.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      shutdown.addEventListener("abort", done, { once: true });
      const unsubscribe = this.events.subscribe((event) => {
        if (
          event.type === "workflow.status" &&
          event.executionId === executionId &&
          event.tenantId === tenantId &&
          SETTLED.has(event.status)
        )
          done();
      });
    });
  }
}
