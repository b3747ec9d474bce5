import type { AddressInfo } from "node:net";
import { API_PREFIX, type ConfigReloadResponse } from "@symbiont/protocol";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { AgentRepository } from "./agents/agent-repository.js";
import { AgentService } from "./agents/agent-service.js";
import { AuditRepository } from "./audit/audit-repository.js";
import { AuditTrail } from "./audit/audit-trail.js";
import { ConfigError } from "./config/load.js";
import { planReload } from "./config/reload.js";
import type { Config } from "./config/schema.js";
import {
  type DeploymentOptions,
  type OpenedDeployments,
  openDeployments,
} from "./deployments/open-deployments.js";
import { DslService } from "./dsl/dsl-service.js";
import { type OpenedEndpoints, openEndpoints } from "./endpoints/open-endpoints.js";
import { ApiKeyRepository } from "./identity/api-key-repository.js";
import { ApiKeyService } from "./identity/api-key-service.js";
import { Authenticator } from "./identity/authenticator.js";
import { createFirstAdminKey } from "./identity/bootstrap.js";
import { openIdentity } from "./identity/open-identity.js";
import type { SharedSecretJwtVerifier } from "./identity/shared-secret-jwt.js";
import { MemoryRateLimiter } from "./limits/memory-rate-limiter.js";
import type { RateLimiter } from "./limits/rate-limiter.js";
import { RateLimits } from "./limits/rate-limits.js";
import type { McpService } from "./mcp/mcp-service.js";
import { openMcp } from "./mcp/open-mcp.js";
import { MemoryTools } from "./memory/memory-tools.js";
import { CpuSampler } from "./metrics/cpu-sampler.js";
import { PrometheusMetrics } from "./observability/prometheus.js";
import { timeOperations } from "./observability/retrieval-metrics.js";
import { RunObservability } from "./observability/run-observability.js";
import { openTracing, type Tracing } from "./observability/tracing.js";
import { PolicyRepository } from "./policies/policy-repository.js";
import { PolicyService } from "./policies/policy-service.js";
import { ModelProviders } from "./runs/model-providers.js";
import { nodeIdOf } from "./runs/node-id.js";
import { RunEvents } from "./runs/run-events.js";
import { RunLoop } from "./runs/run-loop.js";
import { RunRepository } from "./runs/run-repository.js";
import { RunService } from "./runs/run-service.js";
import { ScheduleRepository } from "./schedules/schedule-repository.js";
import { ScheduleService } from "./schedules/schedule-service.js";
import { Scheduler } from "./schedules/scheduler.js";
import { openSecrets } from "./secrets/open-secrets.js";
import { isSecretReference, type SecretResolver } from "./secrets/secret-resolver.js";
import { buildApp } from "./server/app.js";
import { AppError } from "./server/app-error.js";
import { createLogger } from "./server/logging.js";
import { openStore, type Store } from "./store/database.js";
import { migrateToLatest } from "./store/migrate.js";
import { BuiltinTools } from "./tools/builtin-tools.js";
import { ToolCatalog } from "./tools/tool-catalog.js";
import type { ToolProvider } from "./tools/tool-provider.js";
import { openRetrieval } from "./vectors/retrieval-services.js";
import { RUNTIME_VERSION } from "./version.js";
import { StepCalls } from "./workflows/step-calls.js";
import { WorkflowEngine } from "./workflows/workflow-engine.js";
import { WorkflowRepository } from "./workflows/workflow-repository.js";
import { WorkflowService } from "./workflows/workflow-service.js";

export interface Runtime {
  /** Where the server listens, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** The API base the SDK and CLI take, e.g. http://127.0.0.1:8080/api/v1 */
  readonly apiUrl: string;
  readonly docsUrl: string | undefined;
  /** Only on the very first start without SYMBIONT_API_KEY: the admin key, shown this once. */
  readonly firstAdminKey: string | undefined;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** Resolves `secret://` and `vault://` references at the moment of use, audited. */
  readonly secrets: SecretResolver;
  /** MCP servers of every tenant; calls through it pass the review gate. */
  readonly mcp: McpService;
  /** Dynamic endpoints (/hooks), their dispatcher and routing table, and HTTP input servers. */
  readonly endpoints: OpenedEndpoints;
  /** MCP tools for agent runs (the gate is enforced in callTool). */
  readonly mcpTools: ToolProvider;
  /** Fires due schedules; started unless `scheduler: false`. Tests drive it with `tick()`. */
  readonly scheduler: Scheduler;
  /** The runtime's structured logger (pino); its level follows reloads. */
  readonly log: Logger;
  config(): Config;
  /** Re-reads configuration through `loadConfig` and applies what can change without a restart. */
  reload(): Promise<ConfigReloadResponse>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Produces a fresh configuration for reloads (re-reading file and environment). */
  loadConfig?: () => Config;
  /** Where log lines go; stdout unless given. */
  logStream?: NodeJS.WritableStream;
  /** Tool providers besides the built-in ones (MCP servers, embedders' own tools). */
  toolProviders?: readonly ToolProvider[];
  /** The scheduler's clock (tests move it by hand); the system clock unless given. */
  clock?: () => Date;
  /** Executor tuning for deployments (backoff, sampling, the replica script). */
  deployments?: DeploymentOptions;
}

/** In memory on one node; in Redis when configured, so several nodes share each budget. */
async function openRateLimiter(redisUrl: string | undefined, log: Logger): Promise<RateLimiter> {
  if (!redisUrl) return new MemoryRateLimiter();
  // Loaded only when configured: start-up should not pay for a client it does not use.
  const { RedisRateLimiter } = await import("./limits/redis-rate-limiter.js");
  const redis = new RedisRateLimiter(redisUrl, (error) =>
    log.warn({ err: error.message }, "Redis for rate limits failing; requests are let through meanwhile"),
  );
  try {
    await redis.ping();
  } catch (error) {
    await redis.close();
    throw new Error(`Could not reach Redis at redisUrl: ${(error as Error).message}`);
  }
  return redis;
}

async function jwtVerifier(config: Config): Promise<SharedSecretJwtVerifier | undefined> {
  if (!config.jwtSecret) return undefined;
  const { SharedSecretJwtVerifier } = await import("./identity/shared-secret-jwt.js");
  return new SharedSecretJwtVerifier(config.jwtSecret, config.jwtAlgorithm);
}

function displayUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

export async function startRuntime(initial: Config, options: StartOptions = {}): Promise<Runtime> {
  const startedAt = Date.now();
  let config = initial;
  const log = createLogger(config.logLevel, options.logStream);
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  let app: FastifyInstance | undefined;
  let limiter: RateLimiter | undefined;
  let tracing: Tracing | undefined;
  let retrieval: Awaited<ReturnType<typeof openRetrieval>> | undefined;
  let mcpOpened: { close(): Promise<void> } | undefined;
  let inputsOpened: { closeAll(): Promise<void> } | undefined;
  let stopScheduler: (() => Promise<void>) | undefined;
  let deployments: OpenedDeployments | undefined;
  const cpu = new CpuSampler();
  try {
    limiter = await openRateLimiter(config.redisUrl, log);
    tracing = config.otlpEndpoint
      ? await openTracing({
          endpoint: config.otlpEndpoint,
          sampleRatio: config.tracingSampleRatio,
          serviceVersion: RUNTIME_VERSION,
        })
      : undefined;
    const metrics = config.prometheus
      ? new PrometheusMetrics(() => agentRepository.countAllByState())
      : undefined;
    const limits = new RateLimits(
      limiter,
      () => ({
        readPerMinute: config.rateLimitReadPerMinute,
        writePerMinute: config.rateLimitWritePerMinute,
        ipPerMinute: config.rateLimitIpPerMinute,
        authPerMinute: config.rateLimitAuthPerMinute,
        groups: config.rateLimitGroups,
      }),
      (budget) => metrics?.recordRateLimited(budget),
    );
    await migrateToLatest(store.db, store.dialect);
    const apiKeys = new ApiKeyRepository(store.db);
    const firstAdminKey = config.apiKey ? undefined : await createFirstAdminKey(apiKeys);
    const audit = new AuditTrail(new AuditRepository(store));
    const agentRepository = new AgentRepository(store.db, store.changeVersion);
    const runRepository = new RunRepository(store.db);
    const agents = new AgentService(agentRepository, (tenantId, agentId) =>
      runRepository.countUnfinished(tenantId, agentId),
    );
    const secrets = await openSecrets(store, () => config, log, audit);
    const identity = await openIdentity(store, audit, () => config, secrets.sealer("identity"));
    const models = new ModelProviders(() => config, secrets.resolver);
    retrieval = await openRetrieval(store, config, {
      models,
      sealer: secrets.sealer("memory"),
      onResealed: (report) =>
        log.info(report, "memory and knowledge content brought in line with memoryEncryption"),
    });
    if (metrics) {
      timeOperations(metrics.retrieval, "memory", retrieval.memory.service, [
        "add",
        "search",
        "conversation",
        "delete",
      ]);
      timeOperations(metrics.retrieval, "knowledge", retrieval.knowledge, [
        "add",
        "search",
        "context",
        "delete",
      ]);
      timeOperations(metrics.retrieval, "vectors", retrieval.collections, [
        "upsert",
        "search",
        "textSearch",
        "deletePoints",
      ]);
    }
    const runEvents = new RunEvents();
    const mcp = openMcp(store, () => config, log, audit, secrets, runEvents);
    mcpOpened = mcp;
    const policies = new PolicyService(new PolicyRepository(store.db));
    // MCP tools reach runs through their provider, which lets only signed, unchanged tools through.
    const tools = new ToolCatalog([
      new BuiltinTools(),
      new MemoryTools(retrieval.memory.service, retrieval.knowledge),
      mcp.toolProvider,
      ...(options.toolProviders ?? []),
    ]);
    const nodeId = nodeIdOf(config.dataDir);
    const runLoop = new RunLoop({
      runs: runRepository,
      agents: agentRepository,
      models,
      tools,
      policies,
      events: runEvents,
      config: () => config,
      log,
      nodeId,
      observability: new RunObservability(metrics, tracing),
    });
    const interrupted = await runLoop.open();
    if (interrupted > 0) log.warn({ runs: interrupted }, "runs interrupted by the last stop marked failed");
    const runs = new RunService(runRepository, agentRepository, runLoop, runEvents, audit, () => config);
    const scheduleRepository = new ScheduleRepository(store);
    const schedules = new ScheduleService(scheduleRepository, agentRepository, options.clock);
    const scheduler = new Scheduler({
      schedules: scheduleRepository,
      runs,
      audit,
      log,
      node: nodeId,
      graceMs: () => config.scheduleGraceSeconds * 1000,
      ...(options.clock ? { now: options.clock } : {}),
    });
    stopScheduler = () => scheduler.stop();
    // Replicas call back to the API, whose address is known once the server listens.
    let apiUrl = "";
    deployments = await openDeployments(
      store,
      config,
      {
        agentRepository,
        agents,
        events: runEvents,
        secrets: secrets.resolver,
        nodeId: nodeId,
        log,
        apiUrl: () => apiUrl,
      },
      options.deployments,
    );
    const deploymentsOpened = deployments;
    const workflowRepository = new WorkflowRepository(store.db);
    const workflowEngine = new WorkflowEngine({
      repository: workflowRepository,
      calls: new StepCalls({
        runs,
        events: runEvents,
        agents: agentRepository,
        tools,
        policies,
        secrets: secrets.resolver,
        embedder: retrieval.embedder,
        config: () => config,
      }),
      events: runEvents,
      config: () => config,
      log,
      nodeId,
      isSecretReference,
    });
    // After the run loop's own start-up: runs this node left behind are failed first, so a resumed
    // agent step sees its interrupted run as such and starts a new one.
    const resumedWorkflows = await workflowEngine.open();
    if (resumedWorkflows > 0) log.info({ executions: resumedWorkflows }, "workflow executions resumed");
    const workflows = new WorkflowService(
      workflowRepository,
      agentRepository,
      workflowEngine,
      runEvents,
      audit,
      () => config,
    );

    const reload = async (): Promise<ConfigReloadResponse> => {
      if (!options.loadConfig) return { reloaded: false, applied: [], requires_restart: [] };
      let next: Config;
      try {
        next = options.loadConfig();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new AppError(
          "VALIDATION_FAILED",
          `Configuration not reloaded; the running one stays. ${error.message}`,
        );
      }
      const plan = planReload(config, next);
      for (const key of plan.apply) {
        if (key === "logLevel") log.level = next.logLevel;
      }
      config = { ...config, ...Object.fromEntries(plan.apply.map((key) => [key, next[key]])) };
      log.info({ applied: plan.apply, requiresRestart: plan.requiresRestart }, "configuration reloaded");
      return { reloaded: true, applied: plan.apply, requires_restart: plan.requiresRestart };
    };

    const vectorStore = retrieval.vectors;
    const authenticator = new Authenticator(
      apiKeys,
      config.apiKey,
      store.changeVersion,
      await jwtVerifier(config),
      identity.accessTokens,
    );
    const endpoints = openEndpoints({
      store,
      agents: agentRepository,
      runs,
      secrets: secrets.resolver,
      authenticator,
      limits,
      limiter,
      registry: metrics?.registry,
      audit,
      log,
    });
    inputsOpened = endpoints.inputs;
    app = await buildApp({
      log,
      bodyLimit: config.bodyLimit,
      docs: config.docs,
      corsOrigins: config.corsOrigins,
      version: RUNTIME_VERSION,
      authenticator,
      agents,
      apiKeys: new ApiKeyService(apiKeys),
      identity: identity.services,
      audit,
      secrets: secrets.service,
      dsl: new DslService(agents, { schedules, scheduleRepository, policies, endpoints: endpoints.service }),
      mcp: mcp.service,
      toolReview: mcp.toolReview,
      runs,
      deployments: deployments.service,
      workflows,
      policies,
      endpoints,
      schedules,
      limits,
      tracing,
      prometheus: metrics && {
        metrics,
        access: () => ({ allowlist: config.metricsAllowlist, token: config.metricsScrapeToken }),
      },
      memory: retrieval.memory,
      knowledge: retrieval.knowledge,
      collections: retrieval.collections,
      system: {
        version: RUNTIME_VERSION,
        startedAt,
        store,
        metrics: {
          startedAt,
          dataDir: config.dataDir,
          cpu,
          counts: {
            agents: (scope) => agentRepository.countByState(scope),
            secrets: (scope) => secrets.service.countByTenant(scope),
            vectorItems: (scope) => vectorStore.countAll(scope.tenantId),
            mcpConnections: async (scope) => mcp.service.connectedServers(scope.tenantId).length,
          },
        },
        reloadConfig: reload,
      },
    });
    await app.listen({ host: config.host, port: config.port });
    const port = (app.server.address() as AddressInfo).port;
    const url = displayUrl(config.host, port);
    log.info({ url, database: store.location }, "listening");
    // After the API is up: input servers that were running come back on their own ports.
    await endpoints.inputs.restore();
    if (config.scheduler) scheduler.start();
    apiUrl = `${url}${API_PREFIX}`;
    const reconciled = await deploymentsOpened.service.reconcile();
    if (reconciled > 0) log.info({ deployments: reconciled }, "deployments restarted to their desired state");
    const server = app;
    let closing: Promise<void> | undefined;
    return {
      url,
      apiUrl: `${url}${API_PREFIX}`,
      docsUrl: config.docs ? `${url}${API_PREFIX}/docs` : undefined,
      firstAdminKey,
      store,
      secrets: secrets.resolver,
      mcp: mcp.service,
      mcpTools: mcp.toolProvider,
      endpoints,
      scheduler,
      app: server,
      log,
      config: () => config,
      reload,
      close: () => {
        closing ??= (async () => {
          cpu.stop();
          await scheduler.stop();
          // Workflow drivers stop where they are; their executions resume at the next start.
          await workflowEngine.shutdown();
          // Replicas first: they call back to the server and the runs below.
          await deploymentsOpened.service.close();
          await runLoop.shutdown();
          await endpoints.inputs.closeAll();
          await server.close();
          await mcp.close();
          await limits.close();
          // After the server: the last requests' spans are in the batch it exports.
          await tracing
            ?.shutdown()
            .catch((error: unknown) =>
              log.warn({ err: (error as Error).message }, "traces could not be flushed"),
            );
          vectorStore.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    cpu.stop();
    await inputsOpened?.closeAll().catch(() => {});
    await stopScheduler?.().catch(() => {});
    await deployments?.service.close().catch(() => {});
    await mcpOpened?.close().catch(() => {});
    await app?.close().catch(() => {});
    await limiter?.close().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    retrieval?.vectors.close();
    await store.close().catch(() => {});
    throw error;
  }
}
