import type { Logger } from "pino";
import type { AgentRepository } from "../agents/agent-repository.js";
import type { AgentService } from "../agents/agent-service.js";
import type { Config } from "../config/schema.js";
import type { RunEvents } from "../runs/run-events.js";
import type { SecretResolver } from "../secrets/secret-resolver.js";
import type { Store } from "../store/database.js";
import { DeploymentRepository } from "./deployment-repository.js";
import { DeploymentService } from "./deployment-service.js";
import type { DeploymentExecutor } from "./executor.js";
import type { LocalExecutorOptions } from "./local/local-executor.js";

export interface DeploymentOptions {
  /** Local executor tuning (backoff, crash-loop window, sampling), and the replica script. */
  local?: Partial<Omit<LocalExecutorOptions, "apiUrl">>;
  /** Kubernetes executor tuning. */
  kubernetes?: { pollIntervalMs?: number; readyTimeoutMs?: number };
}

export interface OpenedDeployments {
  service: DeploymentService;
  executor: DeploymentExecutor;
}

/** The deployment service with the executor the configuration names; the API URL is known once listening. */
export async function openDeployments(
  store: Store,
  config: Config,
  deps: {
    agentRepository: AgentRepository;
    agents: AgentService;
    events: RunEvents;
    secrets: SecretResolver;
    nodeId: string;
    log: Logger;
    apiUrl: () => string;
  },
  options: DeploymentOptions = {},
): Promise<OpenedDeployments> {
  const runtimeUrl = () => config.kubernetesRuntimeUrl ?? deps.apiUrl();
  const service = new DeploymentService(
    new DeploymentRepository(store.db),
    deps.agentRepository,
    deps.agents,
    deps.events,
    deps.secrets,
    deps.nodeId,
    { namespace: config.kubernetesNamespace, image: config.kubernetesImage, runtimeUrl },
    deps.log,
  );
  let executor: DeploymentExecutor;
  if (config.executor === "kubernetes") {
    // Loaded only when configured: the client is large and most nodes never talk to a cluster.
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { KubernetesExecutor } = await import("./kubernetes/kubernetes-executor.js");
    const kubeConfig = new KubeConfig();
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromDefault();
    executor = new KubernetesExecutor(
      {
        kubeConfig,
        namespace: config.kubernetesNamespace,
        image: config.kubernetesImage,
        runtimeUrl,
        ...options.kubernetes,
      },
      service.reports(),
      deps.log,
    );
  } else {
    const { LocalExecutor } = await import("./local/local-executor.js");
    executor = new LocalExecutor(
      { stopGraceMs: config.deploymentStopGraceMs, ...options.local, apiUrl: deps.apiUrl },
      service.reports(),
      deps.log,
    );
  }
  service.attach(executor);
  deps.agents.onDeleted((scope, agentId) => service.stopAllOf(scope, agentId));
  return { service, executor };
}
