import { type ConfigReloadResponse, type ReadinessResponse, routes } from "@symbiont/protocol";
import { measureSystemMetrics, type SystemMetricsOptions } from "../metrics/system-metrics.js";
import { AppError } from "../server/app-error.js";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import { pingStore, type Store } from "../store/database.js";

export interface SystemRouteDependencies {
  version: string;
  startedAt: number;
  store: Store;
  metrics: SystemMetricsOptions;
  reloadConfig(): Promise<ConfigReloadResponse>;
}

async function checkReadiness(store: Store): Promise<ReadinessResponse> {
  const started = performance.now();
  try {
    await pingStore(store);
    return { status: "ready", checks: { database: { ok: true, latency_ms: performance.now() - started } } };
  } catch (error) {
    return {
      status: "not_ready",
      checks: {
        database: { ok: false, latency_ms: performance.now() - started, error: (error as Error).message },
      },
    };
  }
}

export function registerSystemRoutes(context: RouteBindingContext, deps: SystemRouteDependencies): void {
  bindRoute(context, routes.health, () => ({
    status: "healthy",
    uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000),
    timestamp: new Date().toISOString(),
    version: deps.version,
  }));

  bindRoute(context, routes.ready, async () => {
    const readiness = await checkReadiness(deps.store);
    if (readiness.status !== "ready") {
      throw new AppError("UNAVAILABLE", "Not ready: the database does not answer", { readiness });
    }
    return readiness;
  });

  bindRoute(context, routes.systemMetrics, ({ scope }) => measureSystemMetrics(scope, deps.metrics));
  bindRoute(context, routes.reloadConfig, () => deps.reloadConfig());
}
