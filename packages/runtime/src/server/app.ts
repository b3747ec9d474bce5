import Fastify, { type FastifyInstance } from "fastify";
import { registerAgentRoutes } from "../agents/agent-routes.js";
import type { AgentService } from "../agents/agent-service.js";
import type { Authenticator } from "../identity/authenticator.js";
import { registerSystemRoutes, type SystemRouteDependencies } from "../system/system-routes.js";
import { registerDocs } from "./docs.js";
import { installErrorHandling } from "./error-handler.js";
import { loggerOptions, RequestLogController, requestIdOf } from "./logging.js";
import type { RouteBindingContext } from "./route-binding.js";

export const API_PREFIX = "/api/v1";

export interface AppDependencies {
  logLevel: string;
  /** Where log lines go; stdout unless given. */
  logStream?: NodeJS.WritableStream | undefined;
  bodyLimit: number;
  docs: boolean;
  version: string;
  authenticator: Authenticator;
  agents: AgentService;
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
    logger: loggerOptions(deps.logLevel, deps.logStream),
    genReqId: (request) => requestIdOf(request.headers["x-request-id"]),
    logController: new RequestLogController(),
    bodyLimit: deps.bodyLimit,
    // Long ids must reach validation (and a 400 naming the field) rather than miss the route.
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: true,
  });

  installErrorHandling(app);
  installJsonParser(app);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  if (deps.docs) await registerDocs(app, { prefix: API_PREFIX, version: deps.version });

  const context: RouteBindingContext = { app, prefix: API_PREFIX, authenticator: deps.authenticator };
  registerSystemRoutes(context, deps.system);
  registerAgentRoutes(context, deps.agents);
  return app;
}
