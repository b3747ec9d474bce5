import { randomUUID } from "node:crypto";
import type {
  ApprovalDecisionRequest,
  ApprovalList,
  ExecuteRequest,
  PendingApproval,
  Run,
  RunLimits,
  RunPage,
  RunStatus,
  RunSummary,
} from "@symbiont/protocol";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import type { Scope } from "../identity/scope.js";
import { conflict, notFound } from "../server/app-error.js";
import { decodeCursor, encodeCursor } from "../server/page-cursor.js";
import type { RunEvents } from "./run-events.js";
import type { RunLoop } from "./run-loop.js";
import { isFinished, type RunRepository, type RunRow, UNFINISHED } from "./run-repository.js";
import { effectiveLimits, type LoopState, storeScope } from "./run-state.js";

const DEFAULT_PAGE_SIZE = 50;

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    agent_id: row.agent_id,
    status: row.status as RunStatus,
    model: row.model,
    input: row.input,
    output: row.output,
    error: row.error,
    steps_count: row.steps_count,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    limits: JSON.parse(row.limits) as RunLimits,
    pending_approval:
      row.status === "awaiting_approval" && row.pending_approval
        ? (JSON.parse(row.pending_approval) as PendingApproval)
        : null,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    finished_at: row.finished_at,
  };
}

/** Statuses after which a caller waiting on execute gets its answer. */
const SETTLED = new Set<string>(["succeeded", "failed", "cancelled", "timed_out", "awaiting_approval"]);

export interface RunRequestContext {
  requestId: string;
  sourceIp: string;
}

/** Starting, reading, cancelling runs and deciding the approvals they wait on. */
export class RunService {
  constructor(
    private readonly runs: RunRepository,
    private readonly agents: AgentRepository,
    private readonly loop: RunLoop,
    private readonly events: RunEvents,
    private readonly audit: AuditTrail,
    private readonly config: () => Config,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(
    scope: Scope,
    agentId: string,
    request: ExecuteRequest,
    origin: { traceparent?: string | undefined } = {},
  ): Promise<Run> {
    const agent = await this.agents.findByTenantAndId(scope, agentId);
    if (!agent) throw notFound(`Agent "${agentId}"`);
    const config = this.config();
    const limits = effectiveLimits(request.limits, {
      max_steps: config.runMaxSteps,
      max_tokens: config.runMaxTokens,
      timeout_seconds: config.runTimeoutSeconds,
    });
    const now = this.now();
    const at = now.toISOString();
    const id = randomUUID();
    const state: LoopState = {
      scope: storeScope(scope),
      messages: [{ role: "user", content: request.input }],
      queue: [],
      modelCalls: 0,
      ...(origin.traceparent ? { traceparent: origin.traceparent } : {}),
    };
    await this.runs.insert({
      tenant_id: scope.tenantId,
      id,
      agent_id: agent.id,
      status: "queued",
      model: agent.model,
      input: request.input,
      output: null,
      error: null,
      limits: JSON.stringify(limits),
      state: JSON.stringify(state),
      pending_approval: null,
      created_by: scope.principalId,
      created_at: at,
      updated_at: at,
      deadline_at: new Date(now.getTime() + limits.timeout_seconds * 1000).toISOString(),
      finished_at: null,
      ...this.loop.ownership(),
    });
    const wait = request.wait !== false;
    const settled = wait
      ? this.settled(scope.tenantId, id, request.wait_seconds ?? config.runWaitSeconds)
      : null;
    this.loop.start(scope.tenantId, id);
    if (settled) await settled;
    return this.get(scope, id);
  }

  /** What the live event stream reads: the same repositories and event bus. */
  streamDependencies() {
    return { runs: this.runs, agents: this.agents, events: this.events };
  }

  async get(scope: Scope, id: string): Promise<Run> {
    const row = await this.require(scope, id);
    const steps = await this.runs.steps(row.tenant_id, row.id);
    return {
      ...toSummary(row),
      steps: steps.map((step) => ({
        seq: step.seq,
        kind: step.kind as Run["steps"][number]["kind"],
        at: step.at,
        duration_ms: step.duration_ms,
        data: JSON.parse(step.data) as Record<string, unknown>,
      })),
    };
  }

  async list(
    scope: Scope,
    agentId: string,
    query: { limit?: number | undefined; cursor?: string | undefined; status?: RunStatus | undefined },
  ): Promise<RunPage> {
    const agent = await this.agents.findByTenantAndId(scope, agentId);
    if (!agent) throw notFound(`Agent "${agentId}"`);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.runs.listByAgent(scope, agentId, limit + 1, before, query.status);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toSummary),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async cancel(scope: Scope, id: string): Promise<Run> {
    const row = await this.require(scope, id);
    if (isFinished(row.status)) throw conflict(`Run "${id}" has already finished (${row.status})`);
    if (!(await this.loop.stop(row.tenant_id, row.id, "cancelled"))) {
      const at = this.now().toISOString();
      const moved = await this.runs.transition(row.tenant_id, row.id, UNFINISHED, {
        status: "cancelled",
        error: "cancelled",
        updated_at: at,
        finished_at: at,
      });
      if (moved)
        this.events.emit({
          type: "run.status",
          tenantId: row.tenant_id,
          agentId: row.agent_id,
          runId: row.id,
          status: "cancelled",
          at,
        });
    }
    return this.get(scope, id);
  }

  async awaitingApproval(scope: Scope): Promise<ApprovalList> {
    const rows = await this.runs.listAwaitingApproval(scope, 500);
    return { items: rows.map(toSummary) };
  }

  async decide(
    scope: Scope,
    id: string,
    request: ApprovalDecisionRequest,
    context: RunRequestContext,
  ): Promise<Run> {
    const row = await this.require(scope, id);
    if (row.status !== "awaiting_approval")
      throw conflict(`Run "${id}" is not waiting for an approval (${row.status})`);
    const at = this.now().toISOString();
    // Only one decision wins: the status moves away from awaiting_approval exactly once.
    const claimed = await this.runs.transition(row.tenant_id, row.id, ["awaiting_approval"], {
      status: "running",
      pending_approval: null,
      updated_at: at,
    });
    if (!claimed) throw conflict(`Run "${id}" is no longer waiting for an approval`);
    this.events.emit({
      type: "run.status",
      tenantId: row.tenant_id,
      agentId: row.agent_id,
      runId: row.id,
      status: "running",
      at,
    });
    const pending = row.pending_approval ? (JSON.parse(row.pending_approval) as PendingApproval) : null;
    const actor = actorOf(scope);
    await this.audit.record({
      actor,
      action: request.decision === "approve" ? "run.tool_call.approved" : "run.tool_call.denied",
      target: { type: "run", id: row.id },
      status: 200,
      requestId: context.requestId,
      sourceIp: context.sourceIp,
      details: { agent_id: row.agent_id, tool: pending?.tool ?? null, comment: request.comment ?? null },
    });
    this.loop.start(row.tenant_id, row.id, {
      decision: request.decision,
      decidedBy: actor,
      comment: request.comment ?? null,
    });
    return this.get(scope, id);
  }

  /** Resolves when the run settles (finishes or waits for a human), or after `seconds`. */
  private settled(tenantId: string, runId: string, seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      const unsubscribe = this.events.subscribe((event) => {
        if (
          event.type === "run.status" &&
          event.runId === runId &&
          event.tenantId === tenantId &&
          SETTLED.has(event.status)
        )
          done();
      });
    });
  }

  private async require(scope: Scope, id: string): Promise<RunRow> {
    const row = await this.runs.find(scope, id);
    if (!row) throw notFound(`Run "${id}"`);
    return row;
  }
}
