import type { DeploymentLimits, DeploymentReplica, ExecutorKind } from "@symbiont/protocol";
import type { DeploymentEvent } from "../runs/run-events.js";
import type { LogBuffer } from "./log-buffer.js";

/** Everything an executor needs to run one deployment's replicas. */
export interface DeploymentSpec {
  tenantId: string;
  deploymentId: string;
  agentId: string;
  environment: string;
  replicas: number;
  limits: DeploymentLimits;
  /** Plain environment variables for each replica. */
  env: Record<string, string>;
  /** Variables whose values came from secret references, resolved: kept apart so they never land in a ConfigMap. */
  secretEnv: Record<string, string>;
  /** Kubernetes only. */
  image: string | null;
}

/** How an executor tells the deployment service what happened; the service persists and announces it. */
export interface ExecutorReports {
  running(spec: DeploymentSpec, endpointUrl: string | null): void;
  failed(spec: DeploymentSpec, error: string, lastLog: string[]): void;
  replica(
    spec: DeploymentSpec,
    kind: Exclude<DeploymentEvent["kind"], "status">,
    replica: number,
    detail: string,
  ): void;
  processGroups(spec: DeploymentSpec, groups: number[]): void;
}

/** Where a deployment's replicas run: child processes of this node, or a Kubernetes cluster. */
export interface DeploymentExecutor {
  readonly kind: ExecutorKind;
  /** Starts the replicas in the background; progress comes through the reports. */
  start(spec: DeploymentSpec): Promise<void>;
  /** Stops every replica and returns when none is left. */
  stop(tenantId: string, deploymentId: string): Promise<void>;
  instances(tenantId: string, deploymentId: string): DeploymentReplica[];
  /** The deployments this executor is running now. */
  active(): { tenantId: string; deploymentId: string }[];
  logs(tenantId: string, deploymentId: string): LogBuffer | undefined;
  /** Makes sure nothing a previous process of this node started is still alive. */
  clearLeftovers(deploymentId: string, groups: number[]): Promise<void>;
  /** The runtime is closing: replicas stop, deployments stay desired. */
  shutdown(): Promise<void>;
}
