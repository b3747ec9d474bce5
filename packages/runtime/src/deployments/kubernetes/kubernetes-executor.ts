import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
  type V1Secret,
} from "@kubernetes/client-node";
import type { DeploymentReplica } from "@symbiont/protocol";
import type { Logger } from "pino";
import type { DeploymentExecutor, DeploymentSpec, ExecutorReports } from "../executor.js";
import type { LogBuffer } from "../log-buffer.js";
import { buildManifests, objectName } from "./manifests.js";

export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  image: string;
  runtimeUrl: () => string;
  /** How often a starting Deployment's status is read. */
  pollIntervalMs?: number;
  /** A Deployment not ready after this long marks the deployment failed. */
  readyTimeoutMs?: number;
}

const notFound = (error: unknown) => error instanceof ApiException && error.code === 404;

/** Why a call to the cluster failed, without the request (which may carry a Secret). */
function describe(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as { message?: unknown } | string | undefined;
    const message = typeof body === "object" && body && typeof body.message === "string" ? body.message : "";
    return `Kubernetes answered ${error.code}${message ? `: ${message}` : ""}`;
  }
  return `Kubernetes could not be reached: ${(error as Error).message}`;
}

interface Watched {
  spec: DeploymentSpec;
  ready: number;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/**
 * Runs deployments as Kubernetes Deployments: applies a ConfigMap, a Secret and a Deployment
 * (create, or replace when they exist), waits for the pods to be ready, and on stop scales to zero
 * and deletes all three. Pods restart under Kubernetes' own supervision; their logs are read with
 * `kubectl logs`, not through the runtime.
 */
export class KubernetesExecutor implements DeploymentExecutor {
  readonly kind = "kubernetes" as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly options: KubernetesExecutorOptions,
    private readonly reports: ExecutorReports,
    private readonly log: Logger,
  ) {
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  async start(spec: DeploymentSpec): Promise<void> {
    const key = `${spec.tenantId}\u0000${spec.deploymentId}`;
    const previous = this.watched.get(key);
    if (previous) clearTimeout(previous.timer);
    const watched: Watched = { spec, ready: 0, timer: undefined, stopped: false };
    this.watched.set(key, watched);
    try {
      await this.apply(spec);
    } catch (error) {
      this.reports.failed(spec, describe(error), []);
      return;
    }
    this.poll(watched, Date.now());
  }

  async stop(tenantId: string, deploymentId: string): Promise<void> {
    const key = `${tenantId}\u0000${deploymentId}`;
    const watched = this.watched.get(key);
    if (watched) {
      watched.stopped = true;
      clearTimeout(watched.timer);
      this.watched.delete(key);
    }
    const { namespace } = this.options;
    const name = objectName(deploymentId);
    // Scaled to zero first, so the pods get their graceful termination before the objects go.
    try {
      await this.apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas: 0 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      if (!notFound(error)) throw new Error(describe(error));
    }
    for (const remove of [
      () => this.apps.deleteNamespacedDeployment({ name, namespace }),
      () => this.core.deleteNamespacedConfigMap({ name, namespace }),
      () => this.core.deleteNamespacedSecret({ name, namespace }),
    ]) {
      try {
        await remove();
      } catch (error) {
        if (!notFound(error)) throw new Error(describe(error));
      }
    }
  }

  instances(tenantId: string, deploymentId: string): DeploymentReplica[] {
    const watched = this.watched.get(`${tenantId}\u0000${deploymentId}`);
    if (!watched) return [];
    return Array.from({ length: watched.spec.replicas }, (_, index) => ({
      index,
      pid: null,
      state: index < watched.ready ? ("running" as const) : ("starting" as const),
      restarts: 0,
      memory_bytes: 0,
      cpu_percent: 0,
      last_heartbeat_at: null,
      started_at: null,
    }));
  }

  active(): { tenantId: string; deploymentId: string }[] {
    return [...this.watched.values()].map(({ spec }) => ({
      tenantId: spec.tenantId,
      deploymentId: spec.deploymentId,
    }));
  }

  logs(): LogBuffer | undefined {
    return undefined;
  }

  /** Nothing to clear: the cluster, not this process, holds the pods. */
  async clearLeftovers(): Promise<void> {}

  async shutdown(): Promise<void> {
    // The pods keep running in the cluster; only the watching stops.
    for (const watched of this.watched.values()) clearTimeout(watched.timer);
    this.watched.clear();
  }

  private async apply(spec: DeploymentSpec): Promise<void> {
    const { namespace } = this.options;
    const [configMap, secret, deployment] = buildManifests({
      deploymentId: spec.deploymentId,
      tenantId: spec.tenantId,
      agentId: spec.agentId,
      environment: spec.environment,
      namespace,
      image: spec.image ?? this.options.image,
      replicas: spec.replicas,
      limits: spec.limits,
      runtimeUrl: this.options.runtimeUrl(),
      env: spec.env,
      secretEnv: spec.secretEnv,
    }) as unknown as [V1ConfigMap, V1Secret, V1Deployment];
    const name = objectName(spec.deploymentId);
    await this.upsert(
      () => this.core.readNamespacedConfigMap({ name, namespace }),
      () => this.core.createNamespacedConfigMap({ namespace, body: configMap }),
      () => this.core.replaceNamespacedConfigMap({ name, namespace, body: configMap }),
    );
    await this.upsert(
      () => this.core.readNamespacedSecret({ name, namespace }),
      () => this.core.createNamespacedSecret({ namespace, body: secret }),
      () => this.core.replaceNamespacedSecret({ name, namespace, body: secret }),
    );
    await this.upsert(
      () => this.apps.readNamespacedDeployment({ name, namespace }),
      () => this.apps.createNamespacedDeployment({ namespace, body: deployment }),
      () => this.apps.replaceNamespacedDeployment({ name, namespace, body: deployment }),
    );
    this.log.info({ deploymentId: spec.deploymentId, namespace, name }, "applied to Kubernetes");
  }

  private async upsert(
    read: () => Promise<unknown>,
    create: () => Promise<unknown>,
    replace: () => Promise<unknown>,
  ) {
    try {
      await read();
    } catch (error) {
      if (!notFound(error)) throw error;
      await create();
      return;
    }
    await replace();
  }

  private poll(watched: Watched, since: number): void {
    const { spec } = watched;
    const interval = this.options.pollIntervalMs ?? 1000;
    const timeout = this.options.readyTimeoutMs ?? 300_000;
    const check = async () => {
      if (watched.stopped) return;
      try {
        const deployment = await this.apps.readNamespacedDeployment({
          name: objectName(spec.deploymentId),
          namespace: this.options.namespace,
        });
        watched.ready = deployment.status?.readyReplicas ?? 0;
        if (watched.stopped) return;
        if (watched.ready >= spec.replicas) {
          this.reports.running(spec, null);
          return;
        }
        if (Date.now() - since > timeout) {
          const conditions = (deployment.status?.conditions ?? []).map(
            (c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ""}`,
          );
          this.reports.failed(
            spec,
            `${watched.ready} of ${spec.replicas} replicas ready after ${Math.round(timeout / 1000)} s`,
            conditions,
          );
          return;
        }
      } catch (error) {
        if (Date.now() - since > timeout) {
          this.reports.failed(spec, describe(error), []);
          return;
        }
      }
      watched.timer = setTimeout(() => void check(), interval);
    };
    void check();
  }
}
