import type { RunLimits, RunStatus } from "@symbiont/protocol";
import { jsonSchema, type ModelMessage, streamText, type ToolSet, tool } from "ai";
import type { Logger } from "pino";
import type { AgentRepository, AgentRow } from "../agents/agent-repository.js";
import type { AuditActor } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import type { Scope } from "../identity/scope.js";
import { RunObservability, type RunObservation } from "../observability/run-observability.js";
import type { PolicyService } from "../policies/policy-service.js";
import { SecretReferenceError } from "../secrets/secret-resolver.js";
import type { ToolCatalog } from "../tools/tool-catalog.js";
import type { ToolResult } from "../tools/tool-provider.js";
import { describeModelError, ModelCallError, type ModelProviders } from "./model-providers.js";
import type { RunEvents } from "./run-events.js";
import type { RunChanges, RunRepository, RunRow, SweptRun } from "./run-repository.js";
import { type LoopState, type PlannedCall, restoreScope } from "./run-state.js";
import { RunTrace, withTimeout } from "./run-trace.js";

/** A human's decision on the call a run waits on, handed to the loop when it resumes. */
export interface Resumption {
  decision: "approve" | "deny";
  decidedBy: AuditActor;
  comment: string | null;
}

export interface RunLoopDependencies {
  runs: RunRepository;
  agents: AgentRepository;
  models: ModelProviders;
  tools: ToolCatalog;
  policies: PolicyService;
  events: RunEvents;
  config: () => Config;
  log: Logger;
  /** This node's id: runs it drives carry it, with a lease it keeps renewing. */
  nodeId: string;
  /** Metrics and spans of runs; absent, runs are not observed. */
  observability?: RunObservability;
  now?: () => Date;
}

const UNOBSERVED = new RunObservability(undefined, undefined);

type StopReason = "cancelled" | "timed_out" | "shutdown";

// The AI SDK prints provider warnings to the console by default; the loop records them on the step.
globalThis.AI_SDK_LOG_WARNINGS = false;

/** Ends the loop with a final status; thrown from deep inside and caught once in drive(). */
class RunEnd extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
    readonly output: string | null = null,
  ) {
    super(message);
  }
}

/** Work of one run in progress in this process. */
interface ActiveRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

function resultOutput(result: ToolResult) {
  if (typeof result.content === "string")
    return result.isError
      ? ({ type: "error-text", value: result.content } as const)
      : ({ type: "text", value: result.content } as const);
  const value = JSON.parse(JSON.stringify(result.content ?? null));
  return result.isError ? ({ type: "error-json", value } as const) : ({ type: "json", value } as const);
}

function toolMessage(call: PlannedCall, result: ToolResult): ModelMessage {
  return {
    role: "tool",
    content: [
      {
        type: "tool-result",
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: resultOutput(result),
      },
    ],
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Drives runs: model call, then each requested tool call through the policy gate, until the model
 * answers without tools or a limit ends the run. Every step is written with the state it leaves,
 * so the trace is complete and a paused run continues from the database alone.
 */
export class RunLoop {
  private readonly active = new Map<string, ActiveRun>();
  private readonly now: () => Date;

  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: RunLoopDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Owner and lease for a run this node is about to start. */
  ownership(): { owner: string; lease_until: string } {
    return { owner: this.deps.nodeId, lease_until: this.leaseUntil() };
  }

  /** The lease of a run started now. */
  leaseUntil(): string {
    return new Date(this.now().getTime() + this.leaseMs).toISOString();
  }

  /**
   * At start: fails what this node left running when it last stopped, then keeps its own leases
   * fresh and fails runs whose node stopped renewing theirs (a node that died, on a shared database);
   * runs that waited for a human past their wall time end as timed out.
   */
  async open(): Promise<number> {
    const at = this.now().toISOString();
    const interrupted = [
      ...(await this.deps.runs.failInterrupted(at, { owner: this.deps.nodeId })),
      ...(await this.deps.runs.failInterrupted(at, { leaseBefore: at })),
    ];
    this.announce(interrupted, "failed", at);
    this.announce(await this.deps.runs.timeOutWaiting(at), "timed_out", at);
    const renew = setInterval(() => {
      // Only runs with a live driver here: one whose driver failed stops being vouched for, and is swept.
      const ids = [...this.active.keys()].map((key) => key.slice(key.indexOf("\u0000") + 1));
      this.deps.runs.renewLeases(this.deps.nodeId, ids, this.leaseUntil()).catch((error: unknown) => {
        this.deps.log.warn({ err: (error as Error).message }, "could not renew run leases");
      });
    }, this.leaseMs / 3);
    const sweep = setInterval(() => {
      const now = this.now().toISOString();
      Promise.all([
        this.deps.runs.failInterrupted(now, { leaseBefore: now }),
        this.deps.runs.timeOutWaiting(now),
      ])
        .then(([failed, timedOut]) => {
          this.announce(failed, "failed", now);
          this.announce(timedOut, "timed_out", now);
        })
        .catch((error: unknown) => {
          this.deps.log.warn({ err: (error as Error).message }, "could not sweep abandoned runs");
        });
    }, this.leaseMs / 2);
    renew.unref();
    sweep.unref();
    this.timers.push(renew, sweep);
    return interrupted.length;
  }

  /** Lease length; read once, as the timers are set at start. */
  private get leaseMs(): number {
    return this.deps.config().runLeaseSeconds * 1000;
  }

  /** Runs ended by a sweep rather than their own driver: subscribers must hear of it too. */
  private announce(runs: SweptRun[], status: "failed" | "timed_out", at: string): void {
    for (const run of runs) {
      this.deps.events.emit({
        type: "run.status",
        tenantId: run.tenant_id,
        agentId: run.agent_id,
        runId: run.id,
        status,
        at,
      });
    }
  }

  isActive(tenantId: string, runId: string): boolean {
    return this.active.has(`${tenantId}\u0000${runId}`);
  }

  /** Starts (or resumes) a run in the background; its outcome lands in the database and events. */
  start(tenantId: string, runId: string, resumption?: Resumption): void {
    const key = `${tenantId}\u0000${runId}`;
    const controller = new AbortController();
    const done = this.drive(tenantId, runId, controller, resumption)
      .catch((error: unknown) => {
        this.deps.log.error({ err: (error as Error).message, runId }, "run loop fault");
      })
      .finally(() => this.active.delete(key));
    this.active.set(key, { controller, done });
  }

  /** Stops a run this process drives; resolves once its final status is written. */
  async stop(tenantId: string, runId: string, reason: StopReason): Promise<boolean> {
    const run = this.active.get(`${tenantId}\u0000${runId}`);
    if (!run) return false;
    run.controller.abort(reason);
    await run.done;
    return true;
  }

  /** At shutdown: every run in progress ends as failed (interrupted), none stays "running". */
  async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    const runs = [...this.active.values()];
    for (const run of runs) run.controller.abort("shutdown");
    await Promise.all(runs.map((run) => run.done));
  }

  private async drive(
    tenantId: string,
    runId: string,
    controller: AbortController,
    resumption: Resumption | undefined,
  ): Promise<void> {
    const row = await this.deps.runs.findInTenant(tenantId, runId);
    if (!row) return;
    // A cancel may have come between the decision and this start: nothing of it may run then.
    if (resumption && row.status !== "running") return;
    const from: RunStatus[] = resumption ? ["running"] : ["queued"];
    const startedAt = Date.now();
    if (!resumption) {
      if (!(await this.transition(row, from, { status: "running" }))) return;
    } else {
      await this.deps.runs.claim(tenantId, runId, this.deps.nodeId, this.leaseUntil());
    }
    const remaining = Date.parse(row.deadline_at) - this.now().getTime();
    const timer = setTimeout(() => controller.abort("timed_out"), Math.max(0, remaining));
    const trace = new RunTrace(this.deps, row, JSON.parse(row.state) as LoopState);
    const observation = this.observe(row, trace.state, resumption !== undefined);
    try {
      const scope = restoreScope(trace.state.scope);
      const agent = await this.deps.agents.findByTenantAndId(scope, row.agent_id);
      if (!agent) throw new RunEnd("failed", `agent "${row.agent_id}" no longer exists`);
      const limits = JSON.parse(row.limits) as RunLimits;
      const context = { scope, agent, limits, signal: controller.signal, trace, observation };
      if (resumption) await this.applyDecision(context, resumption);
      for (;;) {
        while (trace.state.queue.length > 0) {
          if ((await this.handleCall(context)) === "paused") return;
        }
        if (trace.state.modelCalls >= limits.max_steps)
          throw new RunEnd("failed", `step limit reached: ${limits.max_steps} model calls`);
        if (trace.tokens() >= limits.max_tokens)
          throw new RunEnd("failed", `token limit reached: ${trace.tokens()} of ${limits.max_tokens}`);
        const answer = await this.callModel(context);
        if (answer !== undefined) throw new RunEnd("succeeded", "", answer);
      }
    } catch (error) {
      const end = this.endOf(error, controller.signal);
      const finished = await this.transition(row, ["running"], {
        status: end.status,
        output: end.output,
        error: end.status === "succeeded" ? null : end.message,
        finished_at: this.now().toISOString(),
      });
      if (finished) {
        observation.end(end.status);
        await this.deps.runs
          .countOnAgent(
            tenantId,
            row.agent_id,
            end.status === "succeeded",
            Date.now() - startedAt,
            this.now().toISOString(),
          )
          .catch(() => {});
      }
    } finally {
      clearTimeout(timer);
      // Paused for a human, or ended by someone else: this node's part of the run is over either way.
      observation.end("paused");
    }
  }

  private observe(row: RunRow, state: LoopState, resumed: boolean): RunObservation {
    return (this.deps.observability ?? UNOBSERVED).startRun({
      tenantId: row.tenant_id,
      agentId: row.agent_id,
      runId: row.id,
      traceparent: state.traceparent,
      resumed,
    });
  }

  private endOf(error: unknown, signal: AbortSignal): RunEnd {
    if (error instanceof RunEnd) return error;
    if (signal.aborted) {
      const reason = signal.reason as StopReason;
      if (reason === "cancelled") return new RunEnd("cancelled", "cancelled");
      if (reason === "timed_out") return new RunEnd("timed_out", "wall-time limit reached");
      return new RunEnd("failed", "interrupted: the runtime shut down while this run was in progress");
    }
    if (error instanceof ModelCallError || error instanceof SecretReferenceError)
      return new RunEnd("failed", error.message);
    this.deps.log.error({ err: (error as Error).message }, "run failed on an unexpected error");
    return new RunEnd("failed", `internal error: ${(error as Error).message}`);
  }

  private async transition(row: RunRow, from: RunStatus[], changes: RunChanges & { status: RunStatus }) {
    const at = this.now().toISOString();
    const moved = await this.deps.runs.transition(row.tenant_id, row.id, from, {
      ...changes,
      updated_at: at,
    });
    if (moved) {
      this.deps.events.emit({
        type: "run.status",
        tenantId: row.tenant_id,
        agentId: row.agent_id,
        runId: row.id,
        status: changes.status,
        at,
      });
    }
    return moved;
  }

  private async applyDecision(context: LoopContext, resumption: Resumption): Promise<void> {
    const { trace } = context;
    const call = trace.state.queue[0];
    if (!call) return;
    const approved = resumption.decision === "approve";
    if (approved) call.approved = true;
    else {
      trace.state.queue.shift();
      const note = resumption.comment ? `: ${resumption.comment}` : "";
      trace.state.messages.push(
        toolMessage(call, { content: `A human reviewer denied this call${note}`, isError: true }),
      );
    }
    await trace.step("approval", 0, {
      tool: call.toolName,
      tool_call_id: call.toolCallId,
      decision: approved ? "approved" : "denied",
      decided_by: {
        id: resumption.decidedBy.id,
        kind: resumption.decidedBy.kind,
        name: resumption.decidedBy.name,
      },
      comment: resumption.comment,
    });
  }

  /** One queued tool call: the gate, then the call. "paused" when it waits for a human. */
  private async handleCall(context: LoopContext): Promise<"handled" | "paused"> {
    const { trace, agent, scope, signal } = context;
    const call = trace.state.queue[0] as PlannedCall;
    const offered = await this.deps.tools.offeredTo(scope, agent.id, JSON.parse(agent.tools) as string[]);
    const tool = offered.get(call.toolName);
    const args = isPlainObject(call.input) ? call.input : undefined;
    if (!tool || !args) {
      // Nothing runs, so there is nothing to gate: the model is told what was wrong.
      const problem = !tool
        ? `no tool "${call.toolName}" is available to this agent`
        : "the arguments must be a JSON object";
      trace.state.queue.shift();
      trace.state.messages.push(toolMessage(call, { content: problem, isError: true }));
      await trace.step("tool_call", 0, {
        tool: call.toolName,
        tool_call_id: call.toolCallId,
        arguments: call.input ?? null,
        executed: false,
        result: problem,
        is_error: true,
      });
      return "handled";
    }
    if (!call.approved) {
      const gateStarted = performance.now();
      const verdict = await this.deps.policies.decide(scope.tenantId, {
        agentId: agent.id,
        tool: call.toolName,
        source: tool.definition.source,
        arguments: args,
      });
      context.observation.gateDecision(verdict.decision, (performance.now() - gateStarted) / 1000);
      const gateData = {
        tool: call.toolName,
        tool_call_id: call.toolCallId,
        source: tool.definition.source,
        arguments: args,
        decision: verdict.decision,
        reasons: verdict.reasons,
        errors: verdict.errors,
      };
      if (verdict.decision === "deny") {
        trace.state.queue.shift();
        const why =
          verdict.errors.length > 0 ? "the policy check failed, so it was refused" : "a policy forbids it";
        trace.state.messages.push(
          toolMessage(call, { content: `This call was denied: ${why}`, isError: true }),
        );
        await trace.step("gate", performance.now() - gateStarted, gateData);
        return "handled";
      }
      await trace.step("gate", performance.now() - gateStarted, gateData);
      if (verdict.decision === "require_approval") {
        const paused = await this.transition(trace.row, ["running"], {
          status: "awaiting_approval",
          pending_approval: JSON.stringify({
            tool: call.toolName,
            tool_call_id: call.toolCallId,
            arguments: args,
            requested_at: this.now().toISOString(),
          }),
        });
        if (!paused) throw new RunEnd("failed", "the run changed status while asking for approval");
        this.deps.events.emit({
          type: "approval.requested",
          tenantId: trace.row.tenant_id,
          agentId: trace.row.agent_id,
          runId: trace.row.id,
          tool: call.toolName,
          arguments: args,
          at: this.now().toISOString(),
        });
        return "paused";
      }
    }
    const started = performance.now();
    const observed = context.observation.toolCall(call.toolName, tool.definition.source);
    let result: ToolResult;
    try {
      result = await withTimeout(
        tool.provider.callTool(call.toolName, args, {
          scope,
          agentId: agent.id,
          runId: trace.row.id,
          signal,
        }),
        this.deps.config().toolTimeoutMs,
        signal,
      );
    } catch (error) {
      observed.end(error as Error);
      if (signal.aborted) throw error;
      result = { content: `the tool failed: ${(error as Error).message}`, isError: true };
    }
    observed.end(result);
    trace.state.queue.shift();
    trace.state.messages.push(toolMessage(call, result));
    await trace.step("tool_call", performance.now() - started, {
      tool: call.toolName,
      tool_call_id: call.toolCallId,
      source: tool.definition.source,
      arguments: args,
      executed: true,
      result: result.content ?? null,
      is_error: result.isError,
    });
    return "handled";
  }

  /** One model call; the final answer when the model asked for no tools, else undefined. */
  private async callModel(context: LoopContext): Promise<string | undefined> {
    const { trace, agent, scope, limits, signal } = context;
    const resolved = await this.deps.models.resolve(agent.model, {
      tenantId: scope.tenantId,
      agentId: agent.id,
      runId: trace.row.id,
    });
    const offered = await this.deps.tools.offeredTo(scope, agent.id, JSON.parse(agent.tools) as string[]);
    const tools: ToolSet = {};
    for (const [name, { definition }] of offered) {
      // No execute: the loop, not the SDK, runs tools, after the gate.
      tools[name] = tool({
        description: definition.description,
        inputSchema: jsonSchema(definition.inputSchema),
      });
    }
    const started = performance.now();
    const observed = context.observation.modelCall(resolved.provider, resolved.modelId);
    let text = "";
    const calls: PlannedCall[] = [];
    let usage = { input: 0, output: 0 };
    let finishReason = "unknown";
    let failure: unknown;
    const warnings: string[] = [];
    const stream = streamText({
      model: resolved.model,
      ...(agent.system_prompt ? { system: agent.system_prompt } : {}),
      messages: trace.state.messages,
      ...(offered.size > 0 ? { tools } : {}),
      temperature: agent.temperature,
      topP: agent.top_p,
      maxOutputTokens: Math.max(1, Math.min(agent.max_tokens, limits.max_tokens - trace.tokens())),
      abortSignal: signal,
      maxRetries: 0,
      onError: () => {},
    });
    try {
      for await (const part of stream.fullStream) {
        if (part.type === "text-delta") text += part.text;
        else if (part.type === "start-step")
          for (const w of part.warnings)
            warnings.push("details" in w && w.details ? w.details : JSON.stringify(w));
        else if (part.type === "tool-call")
          calls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
        else if (part.type === "finish-step") {
          usage = { input: part.usage.inputTokens ?? 0, output: part.usage.outputTokens ?? 0 };
          finishReason = part.finishReason;
        } else if (part.type === "error") failure = part.error;
      }
    } catch (error) {
      observed.end(error as Error);
      throw error;
    }
    if (signal.aborted) {
      observed.end(new Error("aborted"));
      throw new Error("aborted");
    }
    if (failure !== undefined) {
      const error = describeModelError(resolved, failure);
      observed.end(error);
      throw error;
    }
    observed.end({ inputTokens: usage.input, outputTokens: usage.output, finishReason });
    const response = await stream.response;
    // The SDK answers some calls itself (a tool name it cannot parse, say); those need no result of ours.
    const answered = new Map<string, unknown>();
    for (const message of response.messages) {
      if (message.role !== "tool") continue;
      for (const part of message.content)
        if (part.type === "tool-result")
          answered.set(part.toolCallId, "value" in part.output ? part.output.value : part.output);
    }
    trace.state.messages.push(...response.messages);
    trace.state.queue = calls.filter((call) => !answered.has(call.toolCallId));
    trace.state.modelCalls += 1;
    trace.addTokens(usage.input, usage.output);
    await trace.step("model_call", performance.now() - started, {
      provider: resolved.provider,
      model: resolved.modelId,
      text,
      tool_calls: calls.map((c) => ({ id: c.toolCallId, name: c.toolName, arguments: c.input ?? null })),
      input_tokens: usage.input,
      output_tokens: usage.output,
      finish_reason: finishReason,
      ...(warnings.length > 0 ? { warnings } : {}),
    });
    // A call the SDK refused itself (a tool this agent is not offered, say) never ran: the run
    // records the refusal like any other, so what the model tried is visible on the run.
    for (const call of calls) {
      if (!answered.has(call.toolCallId)) continue;
      await trace.step("tool_call", 0, {
        tool: call.toolName,
        tool_call_id: call.toolCallId,
        arguments: call.input ?? null,
        executed: false,
        result: answered.get(call.toolCallId) ?? null,
        is_error: true,
      });
    }
    return calls.length === 0 ? text : undefined;
  }
}

interface LoopContext {
  scope: Scope;
  agent: AgentRow;
  limits: RunLimits;
  signal: AbortSignal;
  trace: RunTrace;
  observation: RunObservation;
}
