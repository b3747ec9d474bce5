import websocket from "@fastify/websocket";
import { API_PREFIX } from "@symbiont/protocol";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { registerAgentRoutes } from "../agents/agent-routes.js";
import type { AgentService } from "../agents/agent-service.js";
import { registerAuditRoutes } from "../audit/audit-routes.js";
import type { AuditTrail } from "../audit/audit-trail.js";
import { registerDslRoutes } from "../dsl/dsl-routes.js";
import type { DslService } from "../dsl/dsl-service.js";
import { registerApiKeyRoutes } from "../identity/api-key-routes.js";
import type { ApiKeyService } from "../identity/api-key-service.js";
import type { Authenticator } from "../identity/authenticator.js";
import { type IdentityServices, registerIdentityRoutes } from "../identity/identity-routes.js";
import type { RateLimits } from "../limits/rate-limits.js";
import { registerPolicyRoutes } from "../policies/policy-routes.js";
import type { PolicyService } from "../policies/policy-service.js";
import { registerRunRoutes } from "../runs/run-routes.js";
import type { RunService } from "../runs/run-service.js";
import { registerSecretRoutes } from "../secrets/secret-routes.js";
import type { SecretService } from "../secrets/secret-service.js";
import { registerSystemRoutes, type SystemRouteDependencies } from "../system/system-routes.js";
import { registerCors } from "./cors.js";
import { registerDocs } from "./docs.js";
import { installErrorHandling } from "./error-handler.js";
import { requestIdOf } from "./logging.js";
import type { RouteBindingContext } from "./route-binding.js";

export interface AppDependencies {
  log: Logger;
  bodyLimit: number;
  docs: boolean;
  corsOrigins: readonly string[];
  version: string;
  authenticator: Authenticator;
  agents: AgentService;
  apiKeys: ApiKeyService;
  identity: IdentityServices;
  audit: AuditTrail;
  secrets: SecretService;
  dsl: DslService;
  runs: RunService;
  policies: PolicyService;
  limits: RateLimits;
  system: SystemRouteDependencies;
}

/** Accepts an empty body with a JSON content type as "no body", as bodyless POSTs from some clients are. */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    // Logging is ours (see logRequest): Fastify's per-request loggers and listeners cost more than
    // a cached read.
    logger: false,
    genReqId: (request) => requestIdOf(request.headers["x-request-id"]),
    bodyLimit: deps.bodyLimit,
    // Long ids must reach validation (and a 400 naming the field) rather than miss the route.
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: true,
  });

  installErrorHandling(app, deps.log);
  installJsonParser(app);

  await registerCors(app, deps.corsOrigins);
  if (deps.docs) await registerDocs(app, { prefix: API_PREFIX, version: deps.version });
  // Before any route: it turns routes with a wsHandler (GET /events) into WebSocket endpoints too.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const context: RouteBindingContext = {
    app,
    prefix: API_PREFIX,
    authenticator: deps.authenticator,
    log: deps.log,
    audit: deps.audit,
    limits: deps.limits,
  };
  registerSystemRoutes(context, deps.system);
  registerAgentRoutes(context, deps.agents);
  registerApiKeyRoutes(context, deps.apiKeys);
  registerAuditRoutes(context, deps.audit);
  registerIdentityRoutes(context, deps.identity);
  registerSecretRoutes(context, deps.secrets);
  registerDslRoutes(context, deps.dsl);
  registerRunRoutes(context, deps.runs);
  registerPolicyRoutes(context, deps.policies);
  return app;
}
