import type { DeploymentLimits } from "@symbiont/protocol";

export interface ManifestInput {
  deploymentId: string;
  tenantId: string;
  agentId: string;
  environment: string;
  namespace: string;
  image: string;
  replicas: number;
  limits: DeploymentLimits;
  /** Where replicas reach the runtime's API. */
  runtimeUrl: string;
  /** Plain variables: they go into the ConfigMap. */
  env: Record<string, string>;
  /** Variables from secret references, resolved (or, for a dry run, described): they go into the Secret. */
  secretEnv: Record<string, string>;
}

/** The port the replica worker listens on inside its container. */
export const REPLICA_PORT = 8080;
/** Memory requested when the agent sets no limit; requests must exist for the scheduler to place pods. */
const DEFAULT_MEMORY_MB = 256;
const DEFAULT_CPU_MILLICORES = 100;

/** Kubernetes object names: lower-case, at most 63 characters, from the deployment id. */
export function objectName(deploymentId: string): string {
  const cleaned = deploymentId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `symbiont-${cleaned}`.slice(0, 63).replace(/-+$/, "");
}

/** Label values allow [A-Za-z0-9._-], at most 63, starting and ending alphanumeric. */
function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "") || "x";
}

/**
 * The objects one deployment applies, in order: a ConfigMap (what the replica is and where the
 * runtime is), a Secret (variables that came from secret references) and the Deployment, whose pods
 * run the replica worker as a non-root user on a read-only root filesystem, with requests and limits
 * from the agent's limits and probes on the worker's health route.
 */
export function buildManifests(input: ManifestInput): Record<string, unknown>[] {
  const name = objectName(input.deploymentId);
  const labels = {
    "app.kubernetes.io/name": "symbiont-agent",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/managed-by": "symbiont",
    "symbiont.dev/agent": labelValue(input.agentId),
    "symbiont.dev/environment": labelValue(input.environment),
  };
  const annotations = {
    "symbiont.dev/deployment-id": input.deploymentId,
    "symbiont.dev/tenant": input.tenantId,
    "symbiont.dev/agent-id": input.agentId,
  };
  const metadata = { name, namespace: input.namespace, labels, annotations };
  const memoryMb = Math.ceil(input.limits.max_memory_mb ?? DEFAULT_MEMORY_MB);
  const millicores =
    input.limits.max_cpu_cores === null ? null : Math.max(1, Math.round(input.limits.max_cpu_cores * 1000));
  const resources = {
    requests: {
      memory: `${memoryMb}Mi`,
      cpu: `${Math.min(millicores ?? DEFAULT_CPU_MILLICORES, DEFAULT_CPU_MILLICORES)}m`,
    },
    limits: { memory: `${memoryMb}Mi`, ...(millicores === null ? {} : { cpu: `${millicores}m` }) },
  };
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata,
    data: {
      ...input.env,
      SYMBIONT_REPLICA_API_URL: input.runtimeUrl,
      SYMBIONT_REPLICA_AGENT_ID: input.agentId,
      SYMBIONT_REPLICA_DEPLOYMENT_ID: input.deploymentId,
      SYMBIONT_REPLICA_HOST: "0.0.0.0",
      SYMBIONT_REPLICA_PORT: String(REPLICA_PORT),
      ...(input.limits.timeout_seconds === null
        ? {}
        : { SYMBIONT_REPLICA_TIMEOUT_SECONDS: String(input.limits.timeout_seconds) }),
    },
  };
  const secret = { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", stringData: input.secretEnv };
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: "/healthz", port: "http" },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: input.replicas,
      selector: { matchLabels: { "app.kubernetes.io/instance": name } },
      template: {
        metadata: { labels, annotations },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "replica",
              image: input.image,
              imagePullPolicy: "IfNotPresent",
              ports: [{ name: "http", containerPort: REPLICA_PORT, protocol: "TCP" }],
              envFrom: [{ configMapRef: { name } }, { secretRef: { name } }],
              resources,
              readinessProbe: probe(2, 5),
              livenessProbe: probe(10, 10),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
  return [configMap, secret, deployment];
}
