import { type RouteQuery, type RouteResponse, type RunEventPayload, streamRoutes } from "@symbiont/protocol";
import { SymbiontError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../pagination.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type Run = RouteResponse<"getRun">;
export type RunSummary = RouteResponse<"listAgentRuns">["items"][number];
export type RunPage = RouteResponse<"listAgentRuns">;
export type ApprovalList = RouteResponse<"listApprovals">;
export type RunEvent = RunEventPayload;

export interface ExecuteOptions {
  /** false: answer at once with the queued run. Default true: wait up to `waitSeconds`. */
  wait?: boolean;
  waitSeconds?: number;
  limits?: { max_steps?: number; max_tokens?: number; timeout_seconds?: number };
}

export interface SubscribeOptions {
  runId?: string;
  agentId?: string;
  /** `reviews`: tool review transitions instead of run events (needs `tools:read` as well). */
  topic?: "runs" | "reviews";
  /** One review's transitions, its current state first; implies topic `reviews`. */
  reviewId?: string;
  /** One workflow execution's status and step events; the stream ends when it finishes. */
  executionId?: string;
  signal?: AbortSignal;
}

/** Parses a text/event-stream body into its JSON events. */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<RunEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let split = buffer.indexOf("\n\n");
      while (split >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        split = buffer.indexOf("\n\n");
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (!data) continue;
        try {
          yield JSON.parse(data) as RunEvent;
        } catch {
          throw new SymbiontError(`The event stream sent an event that is not JSON: ${data.slice(0, 200)}`);
        }
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

/** Runs of agents: execute, follow live, cancel; approvals of the tool calls they wait on. */
export class RunsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Runs an agent on an input. Needs `agents:execute`. */
  async execute(
    agentId: string,
    input: string,
    settings: ExecuteOptions = {},
    options?: RequestOptions,
  ): Promise<Run> {
    const body = {
      input,
      wait: settings.wait ?? null,
      wait_seconds: settings.waitSeconds ?? null,
      limits: settings.limits ?? null,
    };
    return this.#transport.route(
      "executeAgent",
      { params: { agent_id: pathId("agent", agentId) }, body },
      options,
    );
  }

  async get(runId: string, options?: RequestOptions): Promise<Run> {
    return this.#transport.route("getRun", { params: { run_id: pathId("run", runId) } }, options);
  }

  /** One page of an agent's runs, newest first. */
  async listPage(
    agentId: string,
    query: RouteQuery<"listAgentRuns"> = {},
    options?: RequestOptions,
  ): Promise<RunPage> {
    return this.#transport.route(
      "listAgentRuns",
      { params: { agent_id: pathId("agent", agentId) }, query },
      options,
    );
  }

  /** Every run of an agent, newest first, fetched page by page as you iterate. */
  list(agentId: string, query: Omit<RouteQuery<"listAgentRuns">, "cursor"> = {}, options?: RequestOptions) {
    return paginate((cursor) => this.listPage(agentId, { ...query, ...(cursor ? { cursor } : {}) }, options));
  }

  async cancel(runId: string, options?: RequestOptions): Promise<Run> {
    return this.#transport.route("cancelRun", { params: { run_id: pathId("run", runId) } }, options);
  }

  /** Runs waiting for a human decision. Needs `approvals:read`. */
  async approvals(options?: RequestOptions): Promise<ApprovalList> {
    return this.#transport.route("listApprovals", {}, options);
  }

  /** Approves the tool call the run waits on; the run resumes. Needs `approvals:decide`. */
  async approve(runId: string, comment?: string, options?: RequestOptions): Promise<Run> {
    return this.#decide(runId, "approve", comment, options);
  }

  /** Denies it; the model is told, and the run goes on without it. */
  async deny(runId: string, comment?: string, options?: RequestOptions): Promise<Run> {
    return this.#decide(runId, "deny", comment, options);
  }

  /**
   * Live events: of one run, one agent, or (neither) your whole tenant, until you break out; with
   * `topic: "reviews"` or a `reviewId`, tool review transitions instead.
   */
  async *subscribe(filter: SubscribeOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const query: Record<string, string> = {};
    if (filter.runId !== undefined) query.run_id = pathId("run", filter.runId);
    if (filter.agentId !== undefined) query.agent_id = pathId("agent", filter.agentId);
    if (filter.topic !== undefined) query.topic = filter.topic;
    if (filter.reviewId !== undefined) query.review_id = pathId("review", filter.reviewId);
    if (filter.executionId !== undefined) query.execution_id = pathId("execution", filter.executionId);
    const response = await this.#transport.openStream(
      { method: "GET", path: streamRoutes.streamEvents.path, query },
      filter.signal,
    );
    yield* readEvents(response.body as ReadableStream<Uint8Array>);
  }

  /** One run's events from its first step; ends when the run finishes. */
  stream(runId: string, signal?: AbortSignal): AsyncGenerator<RunEvent, void, undefined> {
    return this.subscribe({ runId, ...(signal ? { signal } : {}) });
  }

  async #decide(
    runId: string,
    decision: "approve" | "deny",
    comment: string | undefined,
    options?: RequestOptions,
  ) {
    return this.#transport.route(
      "decideApproval",
      { params: { run_id: pathId("run", runId) }, body: { decision, comment: comment ?? null } },
      options,
    );
  }
}
