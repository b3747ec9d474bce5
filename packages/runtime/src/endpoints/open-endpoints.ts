import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AgentRepository } from "../agents/agent-repository.js";
import type { AuditTrail } from "../audit/audit-trail.js";
import { InputDeliveries } from "../http-inputs/input-deliveries.js";
import { InputServerRepository } from "../http-inputs/input-repository.js";
import { InputServerService } from "../http-inputs/input-service.js";
import type { Authenticator } from "../identity/authenticator.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { RunService } from "../runs/run-service.js";
import type { SecretResolver } from "../secrets/secret-resolver.js";
import type { Store } from "../store/database.js";
import { ReplayGuard } from "../webhooks/replay-guard.js";
import { WebhookVerifier } from "../webhooks/webhook-verifier.js";
import { EndpointDispatcher } from "./endpoint-dispatcher.js";
import { EndpointRepository } from "./endpoint-repository.js";
import { EndpointRouter } from "./endpoint-router.js";
import { EndpointService } from "./endpoint-service.js";
import { EndpointStats } from "./endpoint-stats.js";

export interface OpenedEndpoints {
  service: EndpointService;
  router: EndpointRouter;
  dispatcher: EndpointDispatcher;
  inputs: InputServerService;
}

/** Wires dynamic endpoints, HTTP input servers and the webhook verification they share. */
export function openEndpoints(deps: {
  store: Store;
  agents: AgentRepository;
  runs: RunService;
  secrets: SecretResolver;
  authenticator: Authenticator;
  limits: RateLimits;
  limiter: RateLimiter;
  registry: Registry | undefined;
  audit: AuditTrail;
  log: Logger;
}): OpenedEndpoints {
  const repository = new EndpointRepository(deps.store);
  const router = new EndpointRouter(repository);
  const stats = new EndpointStats(deps.registry);
  const verifier = new WebhookVerifier(deps.secrets, new ReplayGuard(deps.store));
  return {
    service: new EndpointService(repository, deps.agents, router, stats),
    router,
    dispatcher: new EndpointDispatcher(router, {
      authenticator: deps.authenticator,
      limits: deps.limits,
      limiter: deps.limiter,
      runs: deps.runs,
      verifier,
      stats,
    }),
    inputs: new InputServerService(
      new InputServerRepository(deps.store),
      deps.agents,
      new InputDeliveries(deps.runs, deps.secrets, verifier),
      deps.audit,
      deps.log,
      deps.registry,
    ),
  };
}
