import { ExecuteRequest, type Run } from "@symbiont/protocol";
import type { AgentRepository } from "../agents/agent-repository.js";
import type { Config } from "../config/schema.js";
import type { Embedder } from "../embedders/embedder.js";
import type { Scope } from "../identity/scope.js";
import type { PolicyService } from "../policies/policy-service.js";
import type { RunEvents } from "../runs/run-events.js";
import { isFinished } from "../runs/run-repository.js";
import type { RunService } from "../runs/run-service.js";
import { withTimeout } from "../runs/run-trace.js";
import { SecretReferenceError, type SecretResolver } from "../secrets/secret-resolver.js";
import { AppError } from "../server/app-error.js";
import type { ToolCatalog } from "../tools/tool-catalog.js";
import { type Disagreement, disagreementOf } from "./disagreement.js";
import {
  evaluateSource,
  renderTemplate,
  renderValue,
  type SecretHandling,
  TemplateError,
  type TemplateScope,
} from "./template.js";

/** A step attempt that failed; `retryable` says whether another attempt could do better. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A tool call the policy gate wants a human to approve first. */
export class ApprovalNeeded extends Error {}

export interface StepCallDependencies {
  runs: RunService;
  events: RunEvents;
  agents: AgentRepository;
  tools: ToolCatalog;
  policies: PolicyService;
  secrets: SecretResolver;
  embedder: Embedder;
  config: () => Config;
}

export interface CallContext {
  executionId: string;
  stepId: string;
  scope: Scope;
  defaultAgentId: string | null;
  signal: AbortSignal;
  templates: TemplateScope;
  /** The run an interrupted attempt had started: picked up rather than started again. */
  resumeRunId?: string | undefined;
  onRunStarted(runId: string): Promise<void>;
  /** A human approved this tool call already: the gate has spoken. */
  approved?: boolean;
}

export interface AgentCall {
  agent_id?: string | null | undefined;
  input: string;
}

export interface ToolCall {
  agent_id?: string | null | undefined;
  tool: string;
  arguments: Record<string, unknown>;
}

/** Secrets never go to a model or a person: only tool arguments resolve them. */
const refuseSecrets: SecretHandling = async (placeholder) => {
  throw new TemplateError(
    `the parameter holds a secret reference (${placeholder.reference}); secrets are resolved only in tool arguments, never sent to a model or shown in a message`,
  );
};

/** Replaces every resolved secret value in a tool's answer by its reference, so it is never stored. */
export function scrubSecrets(value: unknown, used: { value: string; reference: string }[]): unknown {
  if (used.length === 0) return value;
  if (typeof value === "string") {
    let text = value;
    for (const { value: secret, reference } of used) if (secret) text = text.split(secret).join(reference);
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, used));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubSecrets(v, used)]));
  return value;
}

const asText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null));

/** The work of agent, tool and disagreement steps, each through the runtime's own paths. */
export class StepCalls {
  constructor(private readonly deps: StepCallDependencies) {}

  /** An agent run through the RunService: its policy gate, approvals and limits apply. */
  async agent(call: AgentCall, context: CallContext): Promise<unknown> {
    const { scope } = context;
    const agentId = call.agent_id ?? context.defaultAgentId;
    if (!agentId) throw new StepFailure("names no agent and the execution gave no agent_id", false);
    const rendered = asText(await renderTemplate(call.input, context.templates, refuseSecrets));
    const checked = ExecuteRequest.shape.input.safeParse(rendered);
    if (!checked.success)
      throw new StepFailure(`the rendered input ${checked.error.issues[0]?.message ?? "is invalid"}`, false);
    let runId = context.resumeRunId;
    if (runId) {
      const run = await this.deps.runs.get(scope, runId).catch(() => undefined);
      if (run?.status === "succeeded") return run.output ?? "";
      if (!run || isFinished(run.status)) runId = undefined;
    }
    if (!runId) {
      try {
        runId = (await this.deps.runs.execute(scope, agentId, { input: rendered, wait: false })).id;
      } catch (error) {
        if (error instanceof AppError) throw new StepFailure(error.message, false);
        throw error;
      }
      await context.onRunStarted(runId);
    }
    const run = await this.settle(scope, runId, context.signal);
    if (run.status === "succeeded") return run.output ?? "";
    throw new StepFailure(
      `run ${run.id} of agent "${agentId}" ended ${run.status}: ${run.error ?? "no error recorded"}`,
      run.status !== "cancelled",
    );
  }

  /** A tool call through the tool catalog and the policy gate, as the named agent would make it. */
  async tool(call: ToolCall, context: CallContext): Promise<unknown> {
    const { scope, signal } = context;
    const agentId = call.agent_id ?? context.defaultAgentId;
    if (!agentId) throw new StepFailure("names no agent and the execution gave no agent_id", false);
    const agent = await this.deps.agents.findByTenantAndId(scope, agentId);
    if (!agent) throw new StepFailure(`agent "${agentId}" not found`, false);
    const offered = await this.deps.tools.offeredTo(scope, agentId, JSON.parse(agent.tools) as string[]);
    const tool = offered.get(call.tool);
    if (!tool) throw new StepFailure(`tool "${call.tool}" is not available to agent "${agentId}"`, false);
    // What the gate, the records and any human see: references, never their values.
    const shown = (await renderValue(call.arguments, context.templates, async (p) => p.reference)) as Record<
      string,
      unknown
    >;
    if (!context.approved) {
      const verdict = await this.deps.policies.decide(scope.tenantId, {
        agentId,
        tool: call.tool,
        source: tool.definition.source,
        arguments: shown,
      });
      if (verdict.decision === "deny") {
        const why =
          verdict.errors.length > 0
            ? "the policy check failed"
            : verdict.reasons.length > 0
              ? `forbidden by policy ${verdict.reasons.join(", ")}`
              : "no policy permits it";
        throw new StepFailure(`tool "${call.tool}" denied by the gate (${why})`, false);
      }
      if (verdict.decision === "require_approval")
        throw new ApprovalNeeded(
          `tool "${call.tool}" with arguments ${JSON.stringify(shown).slice(0, 2_000)}`,
        );
    }
    const used: { value: string; reference: string }[] = [];
    let args: Record<string, unknown>;
    try {
      args = (await renderValue(call.arguments, context.templates, async (p) => {
        const value = await this.deps.secrets.resolve(p.reference, {
          tenantId: scope.tenantId,
          agentId,
          purpose: `workflow ${context.executionId} step ${context.stepId}`,
        });
        used.push({ value, reference: p.reference });
        return value;
      })) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof SecretReferenceError) throw new StepFailure(error.message, false);
      throw error;
    }
    let result: { content: unknown; isError: boolean };
    try {
      result = await withTimeout(
        tool.provider.callTool(call.tool, args, {
          scope,
          agentId,
          runId: `workflow:${context.executionId}`,
          signal,
        }),
        this.deps.config().toolTimeoutMs,
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      throw new StepFailure(
        `tool "${call.tool}" failed: ${String(scrubSecrets((error as Error).message, used))}`,
        true,
      );
    }
    const content = scrubSecrets(result.content ?? null, used);
    if (result.isError)
      throw new StepFailure(
        `tool "${call.tool}" answered an error: ${asText(content).slice(0, 2_000)}`,
        true,
      );
    return content;
  }

  async disagreement(texts: string | string[], context: CallContext): Promise<Disagreement> {
    let values: unknown[];
    if (typeof texts === "string") {
      const list = evaluateSource(texts, context.templates);
      if (!Array.isArray(list)) throw new StepFailure(`texts: ${texts} does not give a list`, false);
      values = list;
    } else {
      values = [];
      for (const text of texts) values.push(await renderTemplate(text, context.templates, refuseSecrets));
    }
    if (values.length < 2) throw new StepFailure("texts: needs at least two texts to compare", false);
    if (values.length > 64) throw new StepFailure("texts: compares at most 64 texts", false);
    const vectors = await this.deps.embedder.embed(values.map(asText));
    return disagreementOf(vectors, this.deps.embedder.id);
  }

  /** Resolves with the run once it finished; an execution cancelled meanwhile cancels the run. */
  private settle(scope: Scope, runId: string, signal: AbortSignal): Promise<Run> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
        settle();
      };
      const check = () =>
        this.deps.runs.get(scope, runId).then(
          (run) => {
            if (isFinished(run.status)) finish(() => resolve(run));
          },
          (error: unknown) => finish(() => reject(error)),
        );
      const unsubscribe = this.deps.events.subscribe((event) => {
        if (
          event.type === "run.status" &&
          event.runId === runId &&
          event.tenantId === scope.tenantId &&
          isFinished(event.status)
        )
          void check();
      });
      const onAbort = () => {
        const stop =
          signal.reason === "cancelled"
            ? this.deps.runs.cancel(scope, runId).then(() => {})
            : Promise.resolve();
        stop.catch(() => {}).finally(() => finish(() => reject(new Error("aborted"))));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      void check();
    });
  }
}
