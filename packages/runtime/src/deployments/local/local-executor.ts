import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DeploymentReplica } from "@symbiont/protocol";
import pidusage from "pidusage";
import type { Logger } from "pino";
import type { DeploymentExecutor, DeploymentSpec, ExecutorReports } from "../executor.js";
import type { LogBuffer } from "../log-buffer.js";
import { groupGone, isReplicaOf, signalGroup } from "./process-groups.js";
import { SupervisedDeployment, type SupervisionSettings } from "./supervised-deployment.js";

export interface LocalExecutorOptions extends Partial<Omit<SupervisionSettings, "apiUrl">> {
  apiUrl: () => string;
  /** How often memory, CPU and heartbeats are checked. */
  sampleIntervalMs?: number;
  /** A running replica silent for this long is killed (and restarted). */
  heartbeatTimeoutMs?: number;
  /** A replica that never says it is ready within this long is killed (and restarted). */
  startTimeoutMs?: number;
  /** Consecutive samples over the CPU limit before the replica is killed. */
  cpuSamplesOverLimit?: number;
}

/**
 * The worker script next to this module. Run from source (tests), the compiled one in dist is used:
 * a replica is a plain node process and cannot load TypeScript.
 */
export function defaultReplicaEntry(): string {
  const here = fileURLToPath(new URL("./replica-worker.js", import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(/([\\/])src([\\/]deployments[\\/]local[\\/])/, "$1dist$2");
}

const key = (tenantId: string, deploymentId: string) => `${tenantId}\u0000${deploymentId}`;

/** Runs each replica as a supervised child process of this node (see SupervisedDeployment). */
export class LocalExecutor implements DeploymentExecutor {
  readonly kind = "local" as const;
  private readonly deployments = new Map<string, SupervisedDeployment>();
  private readonly settings: SupervisionSettings;
  private readonly sampler: NodeJS.Timeout;
  private sampling = false;

  constructor(
    private readonly options: LocalExecutorOptions,
    private readonly reports: ExecutorReports,
    private readonly log: Logger,
  ) {
    this.settings = {
      entry: options.entry ?? defaultReplicaEntry(),
      apiUrl: options.apiUrl,
      stopGraceMs: options.stopGraceMs ?? 5000,
      backoffBaseMs: options.backoffBaseMs ?? 250,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      crashLoopLimit: options.crashLoopLimit ?? 5,
      crashLoopWindowMs: options.crashLoopWindowMs ?? 60_000,
      stableAfterMs: options.stableAfterMs ?? 10_000,
    };
    this.sampler = setInterval(() => void this.sample(), options.sampleIntervalMs ?? 500);
    this.sampler.unref();
  }

  async start(spec: DeploymentSpec): Promise<void> {
    const id = key(spec.tenantId, spec.deploymentId);
    const previous = this.deployments.get(id);
    if (previous && !previous.stopped) await previous.stop();
    const deployment = new SupervisedDeployment(spec, this.settings, this.reports);
    this.deployments.set(id, deployment);
    deployment.start();
  }

  async stop(tenantId: string, deploymentId: string): Promise<void> {
    await this.deployments.get(key(tenantId, deploymentId))?.stop();
  }

  instances(tenantId: string, deploymentId: string): DeploymentReplica[] {
    return this.deployments.get(key(tenantId, deploymentId))?.instances() ?? [];
  }

  active(): { tenantId: string; deploymentId: string }[] {
    return [...this.deployments.values()]
      .filter((deployment) => !deployment.stopped)
      .map(({ spec }) => ({ tenantId: spec.tenantId, deploymentId: spec.deploymentId }));
  }

  logs(tenantId: string, deploymentId: string): LogBuffer | undefined {
    return this.deployments.get(key(tenantId, deploymentId))?.logs;
  }

  async clearLeftovers(deploymentId: string, groups: number[]): Promise<void> {
    for (const pgid of groups) {
      if (!isReplicaOf(pgid, deploymentId)) continue;
      this.log.warn({ deploymentId, pgid }, "a replica outlived the last runtime process; killing its group");
      signalGroup(pgid, "SIGKILL");
      await groupGone(pgid, 2000);
    }
  }

  async shutdown(): Promise<void> {
    clearInterval(this.sampler);
    await Promise.all([...this.deployments.values()].map((deployment) => deployment.stop()));
    this.deployments.clear();
  }

  /** Memory and CPU of every live replica against its limits, and heartbeats against the timeout. */
  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const now = Date.now();
      const heartbeatTimeout = this.options.heartbeatTimeoutMs ?? 10_000;
      const startTimeout = this.options.startTimeoutMs ?? 30_000;
      const cpuSamples = this.options.cpuSamplesOverLimit ?? 6;
      for (const deployment of this.deployments.values()) {
        if (deployment.stopped) continue;
        const { limits } = deployment.spec;
        for (const replica of deployment.live()) {
          let usage: { memory: number; cpu: number };
          try {
            usage = await pidusage(replica.pid);
          } catch {
            continue; // exited between listing and sampling; its exit is handled elsewhere
          }
          const cpuLimit = limits.max_cpu_cores === null ? null : limits.max_cpu_cores * 100;
          const over = deployment.recordUsage(replica.index, usage.memory, usage.cpu, cpuLimit);
          const memoryMb = usage.memory / 1024 ** 2;
          if (limits.max_memory_mb !== null && memoryMb > limits.max_memory_mb) {
            deployment.kill(
              replica.index,
              "limit_exceeded",
              `replica ${replica.index} used ${Math.round(memoryMb)} MB of memory, over its limit of ${limits.max_memory_mb} MB`,
            );
          } else if (over >= cpuSamples) {
            deployment.kill(
              replica.index,
              "limit_exceeded",
              `replica ${replica.index} used ${Math.round(usage.cpu)}% CPU for ${over} samples, over its limit of ${limits.max_cpu_cores} cores`,
            );
          } else if (
            replica.state === "running" &&
            replica.lastHeartbeat !== null &&
            now - replica.lastHeartbeat > heartbeatTimeout
          ) {
            deployment.kill(
              replica.index,
              "unresponsive",
              `replica ${replica.index} sent no heartbeat for ${Math.round((now - replica.lastHeartbeat) / 1000)} s`,
            );
          } else if (
            replica.state === "starting" &&
            replica.startedAt !== null &&
            now - replica.startedAt > startTimeout
          ) {
            deployment.kill(
              replica.index,
              "unresponsive",
              `replica ${replica.index} did not get ready within ${Math.round(startTimeout / 1000)} s`,
            );
          }
        }
      }
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "sampling deployment replicas failed");
    } finally {
      this.sampling = false;
    }
  }
}
