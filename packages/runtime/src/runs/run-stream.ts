import { type RunEventPayload, streamRoutes } from "@symbiont/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type Scope, scopeAllows, scopeReachesAgent } from "../identity/scope.js";
import { AppError, issuesOf, notFound, validationFailed } from "../server/app-error.js";
import { authenticationError, type RouteBindingContext } from "../server/route-binding.js";
import { SECURITY_HEADERS } from "../server/security-headers.js";
import type { RunEvent, RunEvents } from "./run-events.js";
import { isFinished, type RunRepository } from "./run-repository.js";

const HEARTBEAT_MS = 15_000;

function toPayload(event: RunEvent): RunEventPayload {
  const base = { run_id: event.runId, agent_id: event.agentId };
  if (event.type === "run.status") return { type: event.type, ...base, status: event.status, at: event.at };
  if (event.type === "run.step") return { type: event.type, ...base, step: event.step };
  return { type: event.type, ...base, tool: event.tool, arguments: event.arguments, at: event.at };
}

const frame = (payload: RunEventPayload) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;

/**
 * `GET /events` as server-sent events. The tenant filter is the server's: a subscriber only ever
 * receives events of its own tenant and of agents its credential reaches. Following one run first
 * replays what it has done so far, so a client that subscribes late misses nothing.
 */
export function registerEventStream(
  context: RouteBindingContext,
  deps: { runs: RunRepository; agents: AgentRepository; events: RunEvents },
): void {
  const definition = streamRoutes.streamEvents;
  // Open streams would hold the server open at shutdown: they end first.
  const open = new Set<() => void>();
  context.app.addHook("preClose", (done) => {
    for (const close of [...open]) close();
    done();
  });
  context.app.route({
    method: "GET",
    url: `${context.prefix}${definition.path}`,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
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
      const { run_id: runId, agent_id: agentId } = parsed.data;
      const run = runId === undefined ? undefined : await deps.runs.find(scope, runId);
      if (runId !== undefined && !run) throw notFound(`Run "${runId}"`);
      if (agentId !== undefined && !(await deps.agents.findByTenantAndId(scope, agentId)))
        throw notFound(`Agent "${agentId}"`);
      const wanted = (event: RunEvent) =>
        event.tenantId === scope.tenantId &&
        scopeReachesAgent(scope, event.agentId) &&
        (runId === undefined || event.runId === runId) &&
        (agentId === undefined || event.agentId === agentId);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-request-id": request.id,
      });
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
        raw.end();
      };
      const send = (event: RunEvent) => {
        if (closed) return;
        if (event.type === "run.step") {
          if (event.step.seq <= lastSeq) return;
          lastSeq = event.step.seq;
        }
        raw.write(frame(toPayload(event)));
        // Following one run: the stream ends with it.
        if (runId !== undefined && event.type === "run.status" && isFinished(event.status)) close();
      };
      const unsubscribe = deps.events.subscribe((event) => {
        if (!wanted(event)) return;
        if (buffered) buffered.push(event);
        else send(event);
      });
      const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), HEARTBEAT_MS);
      request.raw.on("close", close);
      open.add(close);
      if (run) await replay(scope, run.id, deps, send);
      const pending = buffered ?? [];
      buffered = undefined;
      for (const event of pending) send(event);
    },
  });
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
