import { ENDPOINTS_PREFIX, type Run } from "@symbiont/protocol";
import type { Authenticator } from "../identity/authenticator.js";
import { type Scope, scopeAllows, scopeReachesAgent } from "../identity/scope.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { RunService } from "../runs/run-service.js";
import { AppError, notFound } from "../server/app-error.js";
import { authenticationError } from "../server/route-binding.js";
import { deliveryScope, outputAsObject, runFinished, triggerRun } from "../webhooks/agent-trigger.js";
import { payloadPasses } from "../webhooks/payload-filter.js";
import type { WebhookVerifier } from "../webhooks/webhook-verifier.js";
import type { EndpointRecord } from "./endpoint-repository.js";
import type { EndpointRouter } from "./endpoint-router.js";
import type { EndpointStats } from "./endpoint-stats.js";

/** One request to /hooks, as the transport received it. */
export interface HookRequest {
  method: string;
  /** The raw path below /hooks, without the query string. */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: string;
  query: Readonly<Record<string, unknown>>;
  ip: string;
  requestId: string;
}

export interface HookResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const MINUTE_MS = 60_000;

function headerOf(request: HookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parsePayload(request: HookRequest): unknown {
  if (request.rawBody === "") return request.query;
  const type = headerOf(request, "content-type") ?? "";
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) return request.rawBody;
  try {
    return JSON.parse(request.rawBody);
  } catch {
    throw new AppError("INVALID_JSON", "The request body is not valid JSON", {
      issues: [{ field: "body", message: "must be valid JSON" }],
    });
  }
}

/** What the agent is given: the body as sent, or the query as JSON for a bodiless request. */
function inputOf(request: HookRequest): string {
  const input = request.rawBody !== "" ? request.rawBody : JSON.stringify(request.query);
  if (input.includes("\u0000") || !input.isWellFormed())
    throw new AppError("VALIDATION_FAILED", "The request body must be text without NUL characters", {
      issues: [{ field: "body", message: "must be well-formed text without NUL characters" }],
    });
  return input;
}

function answerOf(run: Run): HookResponse {
  if (run.status === "succeeded")
    return { status: 200, body: { run_id: run.id, status: run.status, ...outputAsObject(run.output) } };
  if (runFinished(run))
    return {
      status: 502,
      body: {
        error: `The agent run ended ${run.status}`,
        code: "AGENT_RUN_FAILED",
        run_id: run.id,
        status: run.status,
      },
    };
  // Still going (or awaiting a human): the caller can follow the run by its id.
  return { status: 202, body: { run_id: run.id, status: run.status } };
}

/**
 * Serves requests to dynamic endpoints: finds the endpoint, refuses what its status, credential,
 * signature or rate limit refuses, applies the payload filters, then runs the agent on the request.
 */
export class EndpointDispatcher {
  constructor(
    private readonly router: EndpointRouter,
    private readonly deps: {
      authenticator: Authenticator;
      limits: RateLimits;
      limiter: RateLimiter;
      runs: RunService;
      verifier: WebhookVerifier;
      stats: EndpointStats;
    },
  ) {}

  async handle(request: HookRequest): Promise<HookResponse> {
    await this.deps.limits.checkAddress(request.ip);
    const endpoint = await this.router.lookup(request.method, request.path);
    // An inactive endpoint is, to callers, one that does not exist.
    if (!endpoint || endpoint.status === "inactive")
      throw notFound(`No endpoint for ${request.method} ${ENDPOINTS_PREFIX}${request.path}`);
    return this.serve(endpoint, request);
  }

  /** Serves one known endpoint; also what a statically mounted route would call. */
  async serve(endpoint: EndpointRecord, request: HookRequest): Promise<HookResponse> {
    const started = performance.now();
    let failed = true;
    try {
      const response = await this.answer(endpoint, request);
      failed = response.status >= 400;
      return response;
    } finally {
      this.deps.stats.record(endpoint.id, performance.now() - started, failed);
    }
  }

  private async answer(endpoint: EndpointRecord, request: HookRequest): Promise<HookResponse> {
    if (endpoint.status !== "active")
      throw new AppError("UNAVAILABLE", `This endpoint is in ${endpoint.status}; try again later`, null, {
        "retry-after": "60",
      });
    const scope = await this.authorize(endpoint, request);
    if (endpoint.rateLimit !== null) {
      const decision = await this.deps.limiter.hit(`endpoint:${endpoint.id}`, endpoint.rateLimit, MINUTE_MS);
      if (!decision.allowed) {
        const retryAfter = Math.max(1, Math.ceil(decision.resetMs / 1000));
        throw new AppError(
          "RATE_LIMITED",
          `Rate limit exceeded: this endpoint takes ${endpoint.rateLimit} requests a minute; retry in ${retryAfter} s`,
          { limit: endpoint.rateLimit, retry_after_seconds: retryAfter },
          { "retry-after": String(retryAfter) },
        );
      }
    }
    const payload = parsePayload(request);
    if (endpoint.filters.length > 0 && !payloadPasses(endpoint.filters, payload))
      return {
        status: 200,
        body: { status: "ignored", reason: "the payload did not match the endpoint's filters" },
      };
    const input = inputOf(request);
    // `Prefer: respond-async` (RFC 7240) asks for 202 at once rather than waiting for the agent.
    const wait = /\brespond-async\b/i.test(headerOf(request, "prefer") ?? "") ? 0 : endpoint.timeoutSeconds;
    const run = await triggerRun(this.deps.runs, scope, endpoint.agentId, input, wait);
    return answerOf(run);
  }

  private async authorize(endpoint: EndpointRecord, request: HookRequest): Promise<Scope> {
    const asEndpoint = () =>
      deliveryScope(
        endpoint.tenantId,
        `endpoint:${endpoint.id}`,
        `endpoint ${endpoint.method} ${ENDPOINTS_PREFIX}${endpoint.path}`,
        endpoint.agentId,
      );
    if (endpoint.verification) {
      const verified = await this.deps.verifier.verify(
        endpoint.verification,
        { headers: request.headers, rawBody: request.rawBody },
        {
          tenantId: endpoint.tenantId,
          agentId: endpoint.agentId,
          scopeKey: `endpoint:${endpoint.id}`,
          requestId: request.requestId,
        },
      );
      if (!verified.ok)
        throw verified.status === 401
          ? new AppError("UNAUTHENTICATED", verified.reason)
          : new AppError("UNAVAILABLE", verified.reason);
      return asEndpoint();
    }
    if (!endpoint.authRequired) return asEndpoint();
    const result = await this.deps.authenticator.authenticate(headerOf(request, "authorization"));
    if (!result.ok) throw authenticationError(result.reason);
    const scope = result.scope;
    // Another tenant's credential learns nothing about this endpoint.
    if (scope.tenantId !== endpoint.tenantId || !scopeReachesAgent(scope, endpoint.agentId))
      throw notFound(`No endpoint for ${request.method} ${ENDPOINTS_PREFIX}${request.path}`);
    if (!scopeAllows(scope, "agents:execute"))
      throw new AppError("FORBIDDEN", "This credential lacks the agents:execute permission", {
        required_permission: "agents:execute",
      });
    return scope;
  }
}
