import { ENDPOINTS_PREFIX, routes } from "@symbiont/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import { SECURITY_HEADERS } from "../server/security-headers.js";
import type { EndpointDispatcher, HookRequest } from "./endpoint-dispatcher.js";
import type { EndpointService } from "./endpoint-service.js";

export function registerEndpointRoutes(context: RouteBindingContext, endpoints: EndpointService): void {
  bindRoute(context, routes.createHttpEndpoint, ({ scope, body }) => endpoints.create(scope, body));
  bindRoute(context, routes.listHttpEndpoints, ({ scope }) => endpoints.list(scope));
  bindRoute(context, routes.getHttpEndpoint, ({ scope, params }) => endpoints.get(scope, params.endpoint_id));
  bindRoute(context, routes.updateHttpEndpoint, ({ scope, params, body }) =>
    endpoints.update(scope, params.endpoint_id, body),
  );
  bindRoute(context, routes.deleteHttpEndpoint, ({ scope, params }) =>
    endpoints.delete(scope, params.endpoint_id),
  );
  bindRoute(context, routes.getEndpointMetrics, ({ scope, params }) =>
    endpoints.metrics(scope, params.endpoint_id),
  );
  bindRoute(context, routes.enableHttpEndpoint, ({ scope, params }) =>
    endpoints.setStatus(scope, params.endpoint_id, "active"),
  );
  bindRoute(context, routes.disableHttpEndpoint, ({ scope, params }) =>
    endpoints.setStatus(scope, params.endpoint_id, "inactive"),
  );
}

/** The request as the dispatcher takes it; the path is the raw one, so what matches is what was stored. */
export function hookRequestOf(request: FastifyRequest, prefixLength: number): HookRequest {
  const url = request.raw.url ?? "";
  const queryAt = url.indexOf("?");
  return {
    method: request.method,
    path: (queryAt === -1 ? url : url.slice(0, queryAt)).slice(prefixLength),
    headers: request.headers,
    rawBody: typeof request.body === "string" ? request.body : "",
    query: (request.query ?? {}) as Record<string, unknown>,
    ip: request.ip,
    requestId: request.id,
  };
}

const HOOK_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;

/**
 * Mounts /hooks/*: one catch-all route whose in-memory table the dispatcher consults, so endpoints
 * come and go without touching Fastify's router (which cannot remove routes) or restarting.
 * Bodies are kept as text: signatures are over the exact bytes sent.
 */
export async function mountHooks(app: FastifyInstance, dispatcher: EndpointDispatcher, bodyLimit: number) {
  await app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser("*", { parseAs: "string", bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    hooks.route({
      method: [...HOOK_METHODS],
      url: `${ENDPOINTS_PREFIX}/*`,
      // HEAD is an endpoint method of its own here, not GET without a body.
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        const response = await dispatcher.handle(hookRequestOf(request, ENDPOINTS_PREFIX.length));
        reply
          .code(response.status)
          .headers(SECURITY_HEADERS)
          .headers(response.headers ?? {})
          .header("x-request-id", request.id)
          .type("application/json");
        return response.body;
      },
    });
  });
}
