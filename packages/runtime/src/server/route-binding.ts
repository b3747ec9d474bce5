import type { RouteDefinition } from "@symbiont/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { z } from "zod";
import type {
  AuthenticationFailure,
  AuthenticationResult,
  Authenticator,
} from "../identity/authenticator.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import { AppError, issuesOf, validationFailed } from "./app-error.js";
import { LazyChildLogger, type RequestLogger } from "./lazy-child-logger.js";
import { logRequest } from "./logging.js";
import { SerializedJson } from "./serialized-json.js";

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HandlerInput<R extends RouteDefinition> {
  scope: R["auth"] extends "public" ? undefined : Scope;
  params: Parsed<R["params"]>;
  query: Parsed<R["query"]>;
  body: Parsed<R["body"]>;
  requestId: string;
  log: RequestLogger;
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
  revoked: "Invalid credential: this API key has been revoked",
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
  const { app, prefix, authenticator, log } = context;
  app.route({
    method: route.method,
    url: `${prefix}${toFastifyPath(route.path)}`,
    // Written without async/await so that a request served from memory completes in one synchronous
    // job: no event-loop turns, and one consistent view of the database (see sqliteChangeVersion).
    handler: (request: FastifyRequest, reply: FastifyReply) => {
      // Returns nothing: Fastify would send a returned reply a second time.
      const respond = (output: RouteOutput<R>): undefined => {
        reply
          .code(route.successStatus ?? 200)
          .header("x-request-id", request.id)
          .type("application/json");
        logRequest(log, request, reply);
        reply.send(output instanceof SerializedJson ? output.text : output);
        return undefined;
      };
      const serve = (scope: Scope | undefined) => {
        const input = {
          scope,
          params: parsePart(route.params, request.params, "params"),
          query: parsePart(route.query, request.query, "query"),
          body: parsePart(route.body, request.body, "body"),
          requestId: request.id,
          log: new LazyChildLogger(log, { reqId: request.id }),
        } as unknown as HandlerInput<R>;
        const output = handler(input);
        return output instanceof Promise ? output.then(respond) : respond(output);
      };
      if (route.auth === "public") return serve(undefined);
      const permission = route.auth;
      const authorize = (result: AuthenticationResult) => {
        if (!result.ok) throw authenticationError(result.reason);
        if (!scopeAllows(result.scope, permission)) {
          throw new AppError("FORBIDDEN", `This credential lacks the ${permission} permission`, {
            required_permission: permission,
          });
        }
        return serve(result.scope);
      };
      const result = authenticator.authenticate(request.headers.authorization);
      return result instanceof Promise ? result.then(authorize) : authorize(result);
    },
  });
}
