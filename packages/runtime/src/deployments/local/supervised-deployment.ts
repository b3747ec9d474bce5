import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { DeploymentReplica } from "@symbiont/protocol";
import type { DeploymentEvent } from "../../runs/run-events.js";
import type { DeploymentSpec, ExecutorReports } from "../executor.js";
import { LogBuffer } from "../log-buffer.js";
import { groupGone, signalGroup } from "./process-groups.js";

export interface SupervisionSettings {
  /** The script each replica runs (see replica-worker.ts). */
  entry: string;
  /** The runtime's API base the replicas call back to. */
  apiUrl: () => string;
  stopGraceMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** This many crashes of one replica within the window mark the deployment failed. */
  crashLoopLimit: number;
  crashLoopWindowMs: number;
  /** A replica that ran this long before crashing starts its backoff over. */
  stableAfterMs: number;
}

/** Lines of output kept with a failed deployment. */
const FAILURE_TAIL_LINES = 20;

/** One replica: at most one child process at a time, and its history. */
class Replica {
  child: ChildProcess | undefined;
  exited: Promise<void> = Promise.resolve();
  state: DeploymentReplica["state"] = "starting";
  restarts = 0;
  startedAt: number | null = null;
  lastHeartbeat: number | null = null;
  ready = false;
  endpointUrl: string | null = null;
  memoryBytes = 0;
  cpuPercent = 0;
  /** Consecutive samples over the CPU limit. */
  cpuOver = 0;
  consecutiveCrashes = 0;
  crashTimes: number[] = [];
  backoff: NodeJS.Timeout | undefined;
  /** Set when the supervisor killed the process, so its exit is reported with the reason. */
  killReason: string | null = null;

  constructor(readonly index: number) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }
}

/**
 * The replicas of one deployment as supervised child processes. Each replica is the leader of its
 * own process group (spawned detached), so stopping it reaches everything it started: SIGTERM to
 * the group, a grace period, then SIGKILL to the group.
 */
export class SupervisedDeployment {
  readonly logs = new LogBuffer();
  private readonly replicas: Replica[];
  private stopping = false;
  private reportedRunning = false;

  constructor(
    readonly spec: DeploymentSpec,
    private readonly settings: SupervisionSettings,
    private readonly reports: ExecutorReports,
  ) {
    this.replicas = Array.from({ length: spec.replicas }, (_, index) => new Replica(index));
  }

  start(): void {
    for (const replica of this.replicas) this.spawn(replica);
    this.reportGroups();
  }

  get stopped(): boolean {
    return this.stopping;
  }

  instances(): DeploymentReplica[] {
    return this.replicas.map((replica) => ({
      index: replica.index,
      pid: replica.pid,
      state: replica.state,
      restarts: replica.restarts,
      memory_bytes: Math.floor(replica.memoryBytes),
      cpu_percent: replica.cpuPercent,
      last_heartbeat_at:
        replica.lastHeartbeat === null ? null : new Date(replica.lastHeartbeat).toISOString(),
      started_at: replica.startedAt === null ? null : new Date(replica.startedAt).toISOString(),
    }));
  }

  /** Live processes, for the sampler. */
  live(): {
    index: number;
    pid: number;
    state: DeploymentReplica["state"];
    lastHeartbeat: number | null;
    startedAt: number | null;
  }[] {
    return this.replicas.flatMap((replica) =>
      replica.pid === null || replica.killReason !== null
        ? []
        : [
            {
              index: replica.index,
              pid: replica.pid,
              state: replica.state,
              lastHeartbeat: replica.lastHeartbeat,
              startedAt: replica.startedAt,
            },
          ],
    );
  }

  /** A sample of one replica's usage; answers how many consecutive samples it has been over its CPU limit. */
  recordUsage(
    index: number,
    memoryBytes: number,
    cpuPercent: number,
    cpuLimitPercent: number | null,
  ): number {
    const replica = this.replicas[index];
    if (!replica) return 0;
    replica.memoryBytes = memoryBytes;
    replica.cpuPercent = cpuPercent;
    replica.cpuOver = cpuLimitPercent !== null && cpuPercent > cpuLimitPercent ? replica.cpuOver + 1 : 0;
    return replica.cpuOver;
  }

  /** Kills a replica for breaking a rule (a limit, silence); it is then restarted like a crashed one. */
  kill(
    index: number,
    kind: Exclude<DeploymentEvent["kind"], "status" | "restarted" | "crashed">,
    detail: string,
  ): void {
    const replica = this.replicas[index];
    const pid = replica?.pid;
    if (!replica || pid == null || replica.killReason !== null) return;
    replica.killReason = detail;
    this.logs.append(index, "supervisor", `killed: ${detail}`);
    this.reports.replica(this.spec, kind, index, detail);
    signalGroup(pid, "SIGKILL");
  }

  /** Stops every replica; resolves when no process of any replica's group is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.replicas.map((replica) => this.terminate(replica)));
    this.logs.wakeAll();
  }

  private spawn(replica: Replica): void {
    replica.backoff = undefined;
    replica.ready = false;
    replica.killReason = null;
    replica.state = "starting";
    replica.cpuOver = 0;
    replica.memoryBytes = 0;
    replica.cpuPercent = 0;
    const { spec } = this;
    const child = spawn(
      process.execPath,
      [this.settings.entry, `--deployment=${spec.deploymentId}`, `--replica=${replica.index}`],
      {
        // Its own process group: signals to -pid reach everything the replica starts.
        detached: true,
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        // Only what the replica needs: the runtime's own environment holds its secrets.
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          ...spec.env,
          ...spec.secretEnv,
          SYMBIONT_REPLICA_API_URL: this.settings.apiUrl(),
          SYMBIONT_REPLICA_AGENT_ID: spec.agentId,
          SYMBIONT_REPLICA_DEPLOYMENT_ID: spec.deploymentId,
          SYMBIONT_REPLICA_INDEX: String(replica.index),
          ...(spec.limits.timeout_seconds === null
            ? {}
            : { SYMBIONT_REPLICA_TIMEOUT_SECONDS: String(spec.limits.timeout_seconds) }),
        },
      },
    );
    replica.child = child;
    replica.startedAt = Date.now();
    replica.lastHeartbeat = null;
    for (const [stream, source] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      if (source)
        createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) =>
          this.logs.append(replica.index, stream, line),
        );
    }
    child.on("message", (message: unknown) => this.onMessage(replica, message));
    replica.exited = new Promise((resolve) => {
      let done = false;
      const finish = (reason: string) => {
        if (done) return;
        done = true;
        this.onExit(replica, child, reason);
        resolve();
      };
      child.once("exit", (code, signal) =>
        finish(signal ? `was ended by ${signal}` : `exited with code ${code}`),
      );
      child.once("error", (error) => finish(`could not run: ${error.message}`));
    });
  }

  private onMessage(replica: Replica, message: unknown): void {
    if (typeof message !== "object" || message === null) return;
    const { type, url } = message as { type?: unknown; url?: unknown };
    if (type === "heartbeat") {
      replica.lastHeartbeat = Date.now();
      return;
    }
    if (type !== "ready") return;
    replica.lastHeartbeat = Date.now();
    replica.ready = true;
    replica.state = "running";
    replica.endpointUrl = typeof url === "string" && /^http:\/\/127\.0\.0\.1:\d+\//.test(url) ? url : null;
    if (!this.reportedRunning && !this.stopping && this.replicas.every((r) => r.ready)) {
      this.reportedRunning = true;
      this.reports.running(this.spec, this.replicas[0]?.endpointUrl ?? null);
    }
  }

  private onExit(replica: Replica, child: ChildProcess, exitReason: string): void {
    // Whatever the replica started dies with it.
    if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    if (replica.child === child) replica.child = undefined;
    replica.ready = false;
    if (this.stopping) {
      replica.state = "stopped";
      return;
    }
    const killed = replica.killReason;
    const reason = killed ?? exitReason;
    if (!killed) {
      this.logs.append(replica.index, "supervisor", `replica ${exitReason}`);
      this.reports.replica(this.spec, "crashed", replica.index, `replica ${replica.index} ${exitReason}`);
    }
    const now = Date.now();
    if (replica.startedAt !== null && now - replica.startedAt >= this.settings.stableAfterMs)
      replica.consecutiveCrashes = 0;
    replica.consecutiveCrashes += 1;
    replica.crashTimes = [...replica.crashTimes, now].filter(
      (at) => now - at <= this.settings.crashLoopWindowMs,
    );
    if (replica.crashTimes.length >= this.settings.crashLoopLimit) {
      void this.fail(
        `replica ${replica.index} crashed ${replica.crashTimes.length} times within ${Math.round(this.settings.crashLoopWindowMs / 1000)} s; last: ${reason}`,
      );
      return;
    }
    replica.state = "backing_off";
    const delay = Math.min(
      this.settings.backoffBaseMs * 2 ** (replica.consecutiveCrashes - 1),
      this.settings.backoffMaxMs,
    );
    replica.backoff = setTimeout(() => {
      if (this.stopping) return;
      replica.restarts += 1;
      this.spawn(replica);
      this.reportGroups();
      this.reports.replica(
        this.spec,
        "restarted",
        replica.index,
        `replica ${replica.index} restarted after it ${killed ? `was killed (${killed})` : reason} (restart ${replica.restarts}, after ${delay} ms)`,
      );
    }, delay);
  }

  private async fail(error: string): Promise<void> {
    this.logs.append(0, "supervisor", `deployment failed: ${error}`);
    const tail = this.logs.tail(FAILURE_TAIL_LINES);
    await this.stop();
    this.reports.failed(this.spec, error, tail);
  }

  private async terminate(replica: Replica): Promise<void> {
    clearTimeout(replica.backoff);
    replica.backoff = undefined;
    const pid = replica.pid;
    if (pid === null) {
      replica.state = "stopped";
      return;
    }
    signalGroup(pid, "SIGTERM");
    const exitedInTime = await Promise.race([
      replica.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), this.settings.stopGraceMs).unref()),
    ]);
    if (!exitedInTime) {
      this.logs.append(
        replica.index,
        "supervisor",
        `no exit ${this.settings.stopGraceMs} ms after SIGTERM; SIGKILL`,
      );
      signalGroup(pid, "SIGKILL");
      await replica.exited;
    }
    // Children that ignored SIGTERM or outlived their leader go too.
    signalGroup(pid, "SIGKILL");
    await groupGone(pid, 2000);
    replica.state = "stopped";
  }

  private reportGroups(): void {
    this.reports.processGroups(
      this.spec,
      this.replicas.flatMap((replica) => (replica.pid === null ? [] : [replica.pid])),
    );
  }
}
