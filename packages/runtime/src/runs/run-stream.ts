import { FINISHED_WORKFLOW_STATUSES, type RunEventPayload, streamRoutes } from "@symbiont/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type Scope, scopeAllows, scopeReachesAgent } from "../identity/scope.js";
import { AppError, fieldError, issuesOf, notFound, validationFailed } from "../server/app-error.js";
import { authenticationError, type RouteBindingContext } from "../server/route-binding.js";
import { SECURITY_HEADERS } from "../server/security-headers.js";
import type { ReviewTransitionEvent, RunEvent, RunEvents } from "./run-events.js";
import { isFinished, type RunRepository, type RunRow } from "./run-repository.js";

const HEARTBEAT_MS = 15_000;
/** Unsent bytes a subscriber may fall behind by before it is disconnected. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface StreamDependencies {
  runs: RunRepository;
  agents: AgentRepository;
  events: RunEvents;
  /** A review's current state as an event (from null), or undefined when the tenant has no such review. */
  reviewState: (tenantId: string, reviewId: string) => Promise<ReviewTransitionEvent | undefined>;
  /** Whether an execution exists in the tenant: following one that does not is a 404. */
  workflowExecutionExists: (tenantId: string, executionId: string) => Promise<boolean>;
}

/** Who follows what, settled (authenticated, authorised, validated) before any byte is streamed. */
interface Subscription {
  scope: Scope;
  topic: "runs" | "reviews";
  runId: string | undefined;
  agentId: string | undefined;
  executionId: string | undefined;
  run: RunRow | undefined;
  reviewId: string | undefined;
  /** The followed review's state when the subscription began, sent first. */
  review: ReviewTransitionEvent | undefined;
}

/** Where the events go: a server-sent-events body or a WebSocket. */
interface Sink {
  send(payload: RunEventPayload): void;
  heartbeat(): void;
  end(): void;
}

function toPayload(event: RunEvent): RunEventPayload {
  if (event.type === "review.transition")
    return {
      type: event.type,
      review_id: event.reviewId,
      tool_name: event.toolName,
      mcp_server: event.mcpServer,
      from: event.from,
      to: event.to,
      risk_score: event.riskScore,
      replaced_by: event.replacedBy,
      at: event.at,
    };
  if (event.type === "deployment.event")
    return {
      type: event.type,
      deployment_id: event.deploymentId,
      agent_id: event.agentId,
      kind: event.kind,
      status: event.status,
      replica: event.replica,
      detail: event.detail,
      at: event.at,
    };
  if (event.type === "workflow.status")
    return {
      type: event.type,
      execution_id: event.executionId,
      workflow_id: event.workflowId,
      status: event.status,
      at: event.at,
    };
  if (event.type === "workflow.step")
    return {
      type: event.type,
      execution_id: event.executionId,
      workflow_id: event.workflowId,
      step_id: event.stepId,
      step_type: event.stepType,
      status: event.status,
      attempt: event.attempt,
      error: event.error,
      at: event.at,
    };
  const base = { run_id: event.runId, agent_id: event.agentId };
  if (event.type === "run.status") return { type: event.type, ...base, status: event.status, at: event.at };
  if (event.type === "run.step") return { type: event.type, ...base, step: event.step };
  return { type: event.type, ...base, tool: event.tool, arguments: event.arguments, at: event.at };
}

const subscriptions = new WeakMap<FastifyRequest, Subscription>();

/**
 * `GET /events`: server-sent events, or a WebSocket when the request asks for an upgrade. The tenant
 * filter is the server's: a subscriber only ever receives events of its own tenant and of agents its
 * credential reaches. Following one run first replays what it has done so far, so a client that
 * subscribes late misses nothing.
 */
export function registerEventStream(context: RouteBindingContext, deps: StreamDependencies): void {
  const definition = streamRoutes.streamEvents;
  // Open streams would hold the server open at shutdown: they end first.
  const open = new Set<() => void>();
  context.app.addHook("preClose", (done) => {
    for (const close of [...open]) close();
    done();
  });

  const follow = (subscription: Subscription, sink: Sink, onEnd: (close: () => void) => void) => {
    const { scope, topic, runId, agentId, executionId, run, reviewId, review } = subscription;
    // Workflow events name no agent: they reach credentials that may read workflows and every agent.
    const seesWorkflows = scope.agentIds === null && scopeAllows(scope, "workflows:read");
    const wanted = (event: RunEvent) => {
      if (event.tenantId !== scope.tenantId) return false;
      if (event.type === "review.transition")
        return topic === "reviews" && (reviewId === undefined || event.reviewId === reviewId);
      if (topic !== "runs") return false;
      if (event.type === "workflow.status" || event.type === "workflow.step")
        return (
          seesWorkflows &&
          runId === undefined &&
          agentId === undefined &&
          (executionId === undefined || event.executionId === executionId)
        );
      return (
        executionId === undefined &&
        scopeReachesAgent(scope, event.agentId) &&
        (runId === undefined || event.runId === runId) &&
        (agentId === undefined || event.agentId === agentId)
      );
    };
    // Live events are held back while the run's past is replayed, then deduplicated by step number.
    let buffered: RunEvent[] | undefined = runId === undefined ? undefined : [];
    let lastSeq = 0;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      open.delete(close);
      unsubscribe();
      clearInterval(heartbeat);
      sink.end();
    };
    const send = (event: RunEvent) => {
      if (closed) return;
      if (event.type === "run.step") {
        if (event.step.seq <= lastSeq) return;
        lastSeq = event.step.seq;
      }
      sink.send(toPayload(event));
      // Following one run or execution: the stream ends with it.
      if (runId !== undefined && event.type === "run.status" && isFinished(event.status)) close();
      if (
        executionId !== undefined &&
        event.type === "workflow.status" &&
        (FINISHED_WORKFLOW_STATUSES as readonly string[]).includes(event.status)
      )
        close();
    };
    const unsubscribe = deps.events.subscribe((event) => {
      if (!wanted(event)) return;
      if (buffered) buffered.push(event);
      else send(event);
    });
    const heartbeat = setInterval(() => sink.heartbeat(), HEARTBEAT_MS);
    open.add(close);
    onEnd(close);
    void (async () => {
      try {
        if (run) await replay(scope, run.id, deps, send);
        if (review) send(review);
      } catch {
        close();
        return;
      }
      const pending = buffered ?? [];
      buffered = undefined;
      for (const event of pending) send(event);
    })();
  };

  context.app.route({
    method: "GET",
    url: `${context.prefix}${definition.path}`,
    // Runs before a WebSocket upgrade too, so a refused subscription gets a plain HTTP error.
    preValidation: async (request: FastifyRequest) => {
      subscriptions.set(request, await subscribe(context, deps, request));
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const subscription = subscriptions.get(request) as Subscription;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-request-id": request.id,
      });
      follow(
        subscription,
        {
          send: (payload) => {
            // A subscriber that stops reading is dropped rather than buffered without bound.
            if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
            else raw.write(`event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`);
          },
          heartbeat: () => raw.write(": keep-alive\n\n"),
          end: () => raw.end(),
        },
        (close) => request.raw.on("close", close),
      );
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const subscription = subscriptions.get(request) as Subscription;
      follow(
        subscription,
        {
          send: (payload) => {
            if (socket.bufferedAmount > MAX_BUFFERED_BYTES) socket.terminate();
            else socket.send(JSON.stringify(payload));
          },
          heartbeat: () => socket.ping(),
          end: () => socket.close(1000, "done"),
        },
        (close) => {
          socket.on("close", close);
          socket.on("error", close);
        },
      );
    },
  });
}

async function subscribe(
  context: RouteBindingContext,
  deps: StreamDependencies,
  request: FastifyRequest,
): Promise<Subscription> {
  const definition = streamRoutes.streamEvents;
  await context.limits.checkAddress(request.ip);
  const result = await context.authenticator.authenticate(request.headers.authorization);
  if (!result.ok) throw authenticationError(result.reason);
  const scope = result.scope;
  if (!scopeAllows(scope, definition.auth))
    throw new AppError("FORBIDDEN", `This credential lacks the ${definition.auth} permission`, {
      required_permission: definition.auth,
    });
  await context.limits.checkPrincipal(scope, false);
  const parsed = definition.query.safeParse(request.query);
  if (!parsed.success) throw validationFailed(issuesOf(parsed.error, "query"));
  const { run_id: runId, agent_id: agentId, review_id: reviewId, execution_id: executionId } = parsed.data;
  const topic = parsed.data.topic ?? (reviewId === undefined ? "runs" : "reviews");
  if (topic === "reviews") {
    if (runId !== undefined || agentId !== undefined || executionId !== undefined)
      throw fieldError(
        "VALIDATION_FAILED",
        "query.topic",
        "reviews cannot be filtered by run_id, agent_id or execution_id",
      );
    if (!scopeAllows(scope, "tools:read"))
      throw new AppError("FORBIDDEN", "Following tool reviews needs the tools:read permission as well", {
        required_permission: "tools:read",
      });
    const review = reviewId === undefined ? undefined : await deps.reviewState(scope.tenantId, reviewId);
    if (reviewId !== undefined && !review) throw notFound(`Review session "${reviewId}"`);
    return {
      scope,
      topic,
      runId: undefined,
      agentId: undefined,
      executionId: undefined,
      run: undefined,
      reviewId,
      review,
    };
  }
  if (reviewId !== undefined)
    throw fieldError("VALIDATION_FAILED", "query.review_id", "belongs to topic=reviews, not runs");
  const run = runId === undefined ? undefined : await deps.runs.find(scope, runId);
  if (runId !== undefined && !run) throw notFound(`Run "${runId}"`);
  if (agentId !== undefined && !(await deps.agents.findByTenantAndId(scope, agentId)))
    throw notFound(`Agent "${agentId}"`);
  if (executionId !== undefined) {
    if (!scopeAllows(scope, "workflows:read"))
      throw new AppError("FORBIDDEN", "This credential lacks the workflows:read permission", {
        required_permission: "workflows:read",
      });
    if (!(await deps.workflowExecutionExists(scope.tenantId, executionId)))
      throw notFound(`Workflow execution "${executionId}"`);
  }
  return { scope, topic, runId, agentId, executionId, run, reviewId: undefined, review: undefined };
}

async function replay(
  scope: Scope,
  runId: string,
  deps: { runs: RunRepository },
  send: (event: RunEvent) => void,
): Promise<void> {
  const steps = await deps.runs.steps(scope.tenantId, runId);
  const row = await deps.runs.find(scope, runId);
  if (!row) return;
  const ids = { tenantId: scope.tenantId, agentId: row.agent_id, runId };
  for (const step of steps) {
    send({
      type: "run.step",
      ...ids,
      step: {
        seq: step.seq,
        kind: step.kind as "model_call",
        at: step.at,
        duration_ms: step.duration_ms,
        data: JSON.parse(step.data) as Record<string, unknown>,
      },
    });
  }
  send({ type: "run.status", ...ids, status: row.status as "running", at: row.updated_at });
}
