import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import { SymbiontError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type Deployment = RouteResponse<"getDeployment">;
export type DeploymentLogPage = RouteResponse<"getDeploymentLogs">;
export type DeploymentLogLine = DeploymentLogPage["lines"][number];
export type DeploymentPlan = RouteResponse<"planDeployment">;
export type DeployRequest = RouteBody<"deployAgent">;

export interface FollowLogsOptions {
  /** Start after this line number; 0 (default) replays what the buffer still holds. */
  after?: number;
  signal?: AbortSignal;
}

const LONG_POLL_SECONDS = 20;

/** Agents running as long-lived services: deploy, watch, read logs, stop. */
export class DeploymentsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Deploys an agent. Answers at once with status `deploying`; use `waitFor` for `running`.
   * Needs `deployments:write`. Never retried: a retry would deploy twice.
   */
  async deploy(request: DeployRequest, options?: RequestOptions): Promise<Deployment> {
    return this.#transport.route("deployAgent", { body: request }, options);
  }

  async get(deploymentId: string, options?: RequestOptions): Promise<Deployment> {
    return this.#transport.route(
      "getDeployment",
      { params: { deployment_id: pathId("deployment", deploymentId) } },
      options,
    );
  }

  /** Newest first; only one agent's with `agentId`. */
  async list(agentId?: string, options?: RequestOptions): Promise<Deployment[]> {
    return this.#transport.route(
      "listDeployments",
      { query: agentId === undefined ? {} : { agent_id: pathId("agent", agentId) } },
      options,
    );
  }

  /** Stops every replica (SIGTERM, a grace period, SIGKILL); returns once none is left. */
  async stop(deploymentId: string, options?: RequestOptions) {
    return this.#transport.route(
      "stopDeployment",
      { params: { deployment_id: pathId("deployment", deploymentId) } },
      options,
    );
  }

  /** One page of what the replicas printed; with `wait` (seconds), holds until a new line arrives. */
  async logs(
    deploymentId: string,
    query: { after?: number; limit?: number; wait?: number } = {},
    options?: RequestOptions,
  ): Promise<DeploymentLogPage> {
    return this.#transport.route(
      "getDeploymentLogs",
      { params: { deployment_id: pathId("deployment", deploymentId) }, query },
      options,
    );
  }

  /** Every log line as it is printed, until the deployment stops or fails, or `signal` aborts. */
  async *followLogs(deploymentId: string, follow: FollowLogsOptions = {}): AsyncGenerator<DeploymentLogLine> {
    let after = follow.after ?? 0;
    for (;;) {
      if (follow.signal?.aborted) return;
      const page = await this.logs(
        deploymentId,
        { after, wait: LONG_POLL_SECONDS },
        { timeout: (LONG_POLL_SECONDS + 10) * 1000, ...(follow.signal ? { signal: follow.signal } : {}) },
      );
      for (const line of page.lines) yield line;
      after = page.next_after;
      if (page.lines.length === 0 && (page.status === "stopped" || page.status === "failed")) return;
    }
  }

  /** The Kubernetes manifests a deploy would apply (secret values described, never shown). */
  async plan(request: DeployRequest, options?: RequestOptions): Promise<DeploymentPlan> {
    return this.#transport.route("planDeployment", { body: request }, options);
  }

  /** Polls until the deployment is `running` (resolves) or `failed`/`stopped` (throws with its last error). */
  async waitFor(
    deploymentId: string,
    settings: { timeout?: number; interval?: number } = {},
  ): Promise<Deployment> {
    const deadline = Date.now() + (settings.timeout ?? 60_000);
    for (;;) {
      const deployment = await this.get(deploymentId);
      if (deployment.status === "running") return deployment;
      if (deployment.status === "failed" || deployment.status === "stopped") {
        throw new SymbiontError(
          `Deployment ${deploymentId} is ${deployment.status}${deployment.last_error ? `: ${deployment.last_error}` : ""}`,
        );
      }
      if (Date.now() > deadline)
        throw new SymbiontError(
          `Deployment ${deploymentId} was still ${deployment.status} when the wait ran out`,
        );
      await new Promise((resolve) => setTimeout(resolve, settings.interval ?? 250));
    }
  }
}
