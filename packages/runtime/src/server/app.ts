import websocket from "@fastify/websocket";
import { API_PREFIX } from "@symbiont/protocol";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { registerAgentRoutes } from "../agents/agent-routes.js";
import type { AgentService } from "../agents/agent-service.js";
import { registerAuditRoutes } from "../audit/audit-routes.js";
import type { AuditTrail } from "../audit/audit-trail.js";
import { registerDeploymentRoutes } from "../deployments/deployment-routes.js";
import type { DeploymentService } from "../deployments/deployment-service.js";
import { registerDslRoutes } from "../dsl/dsl-routes.js";
import type { DslService } from "../dsl/dsl-service.js";
import { mountHooks, registerEndpointRoutes } from "../endpoints/endpoint-routes.js";
import type { OpenedEndpoints } from "../endpoints/open-endpoints.js";
import { registerInputRoutes } from "../http-inputs/input-routes.js";
import { registerApiKeyRoutes } from "../identity/api-key-routes.js";
import type { ApiKeyService } from "../identity/api-key-service.js";
import type { Authenticator } from "../identity/authenticator.js";
import { type IdentityServices, registerIdentityRoutes } from "../identity/identity-routes.js";
import { registerKnowledgeRoutes } from "../knowledge/knowledge-routes.js";
import type { KnowledgeService } from "../knowledge/knowledge-service.js";
import type { RateLimits } from "../limits/rate-limits.js";
import { registerMcpRoutes } from "../mcp/mcp-routes.js";
import type { McpService } from "../mcp/mcp-service.js";
import type { MemoryConsolidation } from "../memory/memory-consolidation.js";
import { registerMemoryRoutes } from "../memory/memory-routes.js";
import type { MemoryService } from "../memory/memory-service.js";
import { registerMetricsRoute, type ScrapeAccess } from "../observability/metrics-route.js";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import type { Tracing } from "../observability/tracing.js";
import { registerPolicyRoutes } from "../policies/policy-routes.js";
import type { PolicyService } from "../policies/policy-service.js";
import { registerRunRoutes } from "../runs/run-routes.js";
import type { RunService } from "../runs/run-service.js";
import { registerEventStream } from "../runs/run-stream.js";
import { registerScheduleRoutes } from "../schedules/schedule-routes.js";
import type { ScheduleService } from "../schedules/schedule-service.js";
import { registerSecretRoutes } from "../secrets/secret-routes.js";
import type { SecretService } from "../secrets/secret-service.js";
import { registerSystemRoutes, type SystemRouteDependencies } from "../system/system-routes.js";
import { registerToolReviewRoutes } from "../tool-review/review-routes.js";
import type { ToolReviewService } from "../tool-review/review-service.js";
import type { SignatureVerifier } from "../tool-review/signature-verifier.js";
import type { SigningKeys } from "../tool-review/signing-keys.js";
import type { CollectionService } from "../vectors/collection-service.js";
import { registerVectorRoutes } from "../vectors/vector-routes.js";
import { registerWorkflowRoutes } from "../workflows/workflow-routes.js";
import type { WorkflowService } from "../workflows/workflow-service.js";
import { registerCors } from "./cors.js";
import { registerDocs } from "./docs.js";
import { installErrorHandling } from "./error-handler.js";
import { requestIdOf } from "./logging.js";
import type { RequestObserver } from "./request-observer.js";
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
  deployments: DeploymentService;
  workflows: WorkflowService;
  policies: PolicyService;
  /** Dynamic endpoints (/hooks) and HTTP input servers. */
  endpoints: OpenedEndpoints;
  schedules: ScheduleService;
  limits: RateLimits;
  /** Prometheus metrics and who may scrape them; undefined when switched off. */
  prometheus: { metrics: PrometheusMetrics; access: () => ScrapeAccess } | undefined;
  /** Request spans, when an OTLP endpoint is configured. */
  tracing: Tracing | undefined;
  system: SystemRouteDependencies;
  memory: { service: MemoryService; consolidation: MemoryConsolidation };
  knowledge: KnowledgeService;
  collections: CollectionService;
  mcp: McpService;
  toolReview: {
    service: ToolReviewService;
    keys: SigningKeys;
    verifier: SignatureVerifier;
    signerId: () => string;
  };
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

  const observer: RequestObserver = {
    log: deps.log,
    metrics: deps.prometheus?.metrics,
    tracing: deps.tracing,
  };
  const tracing = deps.tracing;
  // Only with tracing on does every request pay for a hook.
  if (tracing) app.addHook("onRequest", async (request) => tracing.startRequest(request));
  installErrorHandling(app, observer);
  installJsonParser(app);

  await registerCors(app, deps.corsOrigins);
  if (deps.docs) await registerDocs(app, { prefix: API_PREFIX, version: deps.version });

  const context: RouteBindingContext = {
    app,
    prefix: API_PREFIX,
    authenticator: deps.authenticator,
    log: deps.log,
    audit: deps.audit,
    limits: deps.limits,
    metrics: deps.prometheus?.metrics,
    tracing: deps.tracing,
  };
  if (deps.prometheus) registerMetricsRoute(app, deps.prometheus.metrics, deps.prometheus.access, observer);
  registerSystemRoutes(context, deps.system);
  registerAgentRoutes(context, deps.agents);
  registerApiKeyRoutes(context, deps.apiKeys);
  registerAuditRoutes(context, deps.audit);
  registerIdentityRoutes(context, deps.identity);
  registerSecretRoutes(context, deps.secrets);
  registerDslRoutes(context, deps.dsl);
  registerMemoryRoutes(context, deps.memory.service, deps.memory.consolidation);
  registerKnowledgeRoutes(context, deps.knowledge);
  registerVectorRoutes(context, deps.collections);
  registerMcpRoutes(context, deps.mcp);
  registerToolReviewRoutes(
    context,
    deps.toolReview.service,
    deps.toolReview.keys,
    deps.toolReview.verifier,
    deps.toolReview.signerId,
  );
  registerRunRoutes(context, deps.runs);
  registerDeploymentRoutes(context, deps.deployments);
  // WebSocket support adds hooks to every request of the context it is registered in, which the
  // hot routes should not pay for: only the event stream's own context gets it.
  await app.register(async (events) => {
    await events.register(websocket, { options: { maxPayload: 64 * 1024 } });
    registerEventStream(
      { ...context, app: events },
      {
        ...deps.runs.streamDependencies(),
        reviewState: (tenantId, reviewId) => deps.toolReview.service.stateEvent(tenantId, reviewId),
        workflowExecutionExists: (tenant, id) => deps.workflows.exists(tenant, id),
      },
    );
  });
  registerPolicyRoutes(context, deps.policies);
  registerEndpointRoutes(context, deps.endpoints.service);
  registerInputRoutes(context, deps.endpoints.inputs);
  await mountHooks(app, deps.endpoints.dispatcher, deps.bodyLimit);
  registerScheduleRoutes(context, deps.schedules);
  registerWorkflowRoutes(context, deps.workflows);
  return app;
}
