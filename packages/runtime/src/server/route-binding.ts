import type { RouteDefinition } from "@symbiont/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { z } from "zod";
import { type AuditActor, type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type {
  AuthenticationFailure,
  AuthenticationResult,
  Authenticator,
} from "../identity/authenticator.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import type { Tracing } from "../observability/tracing.js";
import { DEFAULT_TENANT_ID as INSTANCE_TENANT_ID } from "../store/migrations/0001_initial.js";
import { AppError, issuesOf, validationFailed } from "./app-error.js";
import { LazyChildLogger, type RequestLogger } from "./lazy-child-logger.js";
import { recordRequest, statusOfError } from "./request-audit.js";
import { finishRequest, type RequestObserver } from "./request-observer.js";
import { SECURITY_HEADERS } from "./security-headers.js";
import { SerializedJson } from "./serialized-json.js";

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HandlerInput<R extends RouteDefinition> {
  scope: R["auth"] extends "public" ? undefined : Scope;
  params: Parsed<R["params"]>;
  query: Parsed<R["query"]>;
  body: Parsed<R["body"]>;
  requestId: string;
  /** The caller's address, for audit entries a handler writes itself (secret reads). */
  sourceIp: string;
  log: RequestLogger;
  userAgent: string;
  /** The request span's W3C traceparent when tracing is on, for background work it starts. */
  traceparent: string | undefined;
}

type RouteOutput<R extends RouteDefinition> =
  | z.input<R["response"]>
  | SerializedJson<Readonly<z.input<R["response"]>>>;

export type RouteHandler<R extends RouteDefinition> = (
  input: HandlerInput<R>,
) => Promise<RouteOutput<R>> | RouteOutput<R>;

/** `{agent_id}` → `:agent_id`. */
export const toFastifyPath = (path: string) => path.replace(/\{([a-z_]+)\}/g, ":$1");

const failureMessages: Record<AuthenticationFailure, string> = {
  missing: "Missing credential: send the header `Authorization: Bearer <API key>`",
  malformed: "Malformed Authorization header: use `Authorization: Bearer <API key>`",
  invalid: "Invalid credential: the API key or token is not recognised",
  revoked: "Invalid credential: this API key or session has been revoked",
  expired: "Credential expired: create a new API key or log in again",
};

export function authenticationError(reason: AuthenticationFailure): AppError {
  // The contract's clients pick the error class by whether the 401 body says "expired", so only
  // an expired credential may use that word.
  return new AppError(
    reason === "expired" ? "TOKEN_EXPIRED" : "UNAUTHENTICATED",
    failureMessages[reason],
    null,
    { "www-authenticate": `Bearer realm="symbiont"${reason === "expired" ? ', error="invalid_token"' : ""}` },
  );
}

function parsePart(
  schema: z.ZodType | undefined,
  value: unknown,
  location: "body" | "query" | "params",
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(issuesOf(result.error, location));
  return result.data;
}

export interface RouteBindingContext {
  app: FastifyInstance;
  prefix: string;
  authenticator: Authenticator;
  log: Logger;
  audit: AuditTrail;
  limits: RateLimits;
  metrics: PrometheusMetrics | undefined;
  tracing: Tracing | undefined;
}

/** Continues synchronously with a plain value, or after a promise: the fast path stays synchronous. */
function andThen<T, U>(value: T | Promise<T>, next: (settled: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * Registers one route of the protocol table. Authentication, the permission check and validation
 * happen here, in one place, so a handler only ever sees a Scope and parsed input.
 */
export function bindRoute<R extends RouteDefinition>(
  context: RouteBindingContext,
  route: R,
  handler: RouteHandler<R>,
): void {
  const { app, prefix, authenticator, log, audit, limits, metrics, tracing } = context;
  const observer: RequestObserver = { log, metrics, tracing };
  const url = `${prefix}${toFastifyPath(route.path)}`;
  // A POST that only reads (a search with a body, e.g. /memory/search) is a read: it spends from the
  // read budget and is not an audited change.
  const mutating = route.method !== "GET" && !(route.auth !== "public" && route.auth.endsWith(":read"));
  const status = route.successStatus ?? 200;
  // Found once here, so a successful request's metrics cost two additions.
  const successSeries = metrics?.http.seriesFor(route.method, url, status);
  app.route({
    method: route.method,
    url,
    // Written without async/await so that a request served from memory completes in one synchronous
    // job: no event-loop turns, and one consistent view of the database (see sqliteChangeVersion).
    handler: (request: FastifyRequest, reply: FastifyReply) => {
      let actor: AuditActor | undefined;
      // Returns nothing: Fastify would send a returned reply a second time.
      const send = (output: RouteOutput<R>): undefined => {
        reply
          .code(status)
          .headers(SECURITY_HEADERS)
          .header("x-request-id", request.id)
          .type("application/json");
        finishRequest(observer, request, reply, undefined, successSeries);
        reply.send(output instanceof SerializedJson ? output.text : output);
        return undefined;
      };
      const respond = (output: RouteOutput<R>) =>
        mutating && actor
          ? recordRequest(audit, log, request, route, actor, status, output).then(() => send(output))
          : send(output);
      const serve = (scope: Scope | undefined) => {
        const input = {
          scope,
          params: parsePart(route.params, request.params, "params"),
          query: parsePart(route.query, request.query, "query"),
          body: parsePart(route.body, request.body, "body"),
          requestId: request.id,
          sourceIp: request.ip,
          log: new LazyChildLogger(log, { reqId: request.id }),
          userAgent: request.headers["user-agent"] ?? "",
          traceparent: tracing?.traceparentOf(request),
        } as unknown as HandlerInput<R>;
        const output = handler(input);
        return output instanceof Promise ? output.then(respond) : respond(output);
      };
      const authorize = (result: AuthenticationResult) => {
        if (!result.ok) {
          metrics?.recordAuthFailure(result.reason);
          // A real key that failed (revoked, expired, wrong secret) is a security event of its tenant.
          if (result.subject) actor = actorOf(result.subject);
          throw authenticationError(result.reason);
        }
        actor = actorOf(result.scope);
        if (
          route.auth !== "public" &&
          route.auth !== "authenticated" &&
          !scopeAllows(result.scope, route.auth)
        ) {
          throw new AppError("FORBIDDEN", `This credential lacks the ${route.auth} permission`, {
            required_permission: route.auth,
          });
        }
        // The instance's own controls (configuration, signing keys) belong to the instance tenant:
        // another tenant's admin holds `admin` in that tenant only.
        if (route.auth === "system:admin" && result.scope.tenantId !== INSTANCE_TENANT_ID) {
          throw new AppError(
            "FORBIDDEN",
            `This is an instance-wide control, for principals of the instance tenant "${INSTANCE_TENANT_ID}"`,
            { required_permission: route.auth, required_tenant: INSTANCE_TENANT_ID },
          );
        }
        const scope = result.scope;
        return andThen(limits.checkPrincipal(scope, mutating, route.tag), () => serve(scope));
      };
      // Failures of mutating requests, and denials on any route, are audited before the error answer.
      const fail = (error: unknown): Promise<never> | never => {
        const failedStatus = statusOfError(error);
        if (!actor || (!mutating && failedStatus !== 401 && failedStatus !== 403)) throw error;
        const code = error instanceof AppError ? error.code : "INTERNAL";
        return recordRequest(audit, log, request, route, actor, failedStatus, undefined, { code }).then(
          () => {
            throw error;
          },
        );
      };
      try {
        const addressChecked = route.rateGroup
          ? andThen(limits.checkAddress(request.ip), () => limits.checkGroup("auth", request.ip))
          : limits.checkAddress(request.ip);
        const outcome = andThen(addressChecked, () =>
          route.auth === "public"
            ? serve(undefined)
            : andThen(authenticator.authenticate(request.headers.authorization), authorize),
        );
        return outcome instanceof Promise ? outcome.catch(fail) : outcome;
      } catch (error) {
        return fail(error);
      }
    },
  });
}
