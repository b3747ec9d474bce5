import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../../../test/support/kubernetes-server.js";
import { buildManifests, objectName, REPLICA_PORT } from "./manifests.js";

const input = {
  deploymentId: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
  tenantId: "default",
  agentId: "Support Bot@eu",
  environment: "production",
  namespace: "agents",
  image: "registry.local/symbiont/replica:1.2.3",
  replicas: 3,
  limits: { max_memory_mb: 512, max_cpu_cores: 1.5, timeout_seconds: 120 },
  runtimeUrl: "http://symbiont.agents.svc:8080/api/v1",
  env: { LOG_FORMAT: "json" },
  secretEnv: { GITHUB_TOKEN: "ghp_resolved" },
};

describe("Kubernetes manifests of a deployment", () => {
  const [configMap, secret, deployment] = buildManifests(input) as KubeObject[];
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers[0];

  it("are a ConfigMap, a Secret and a Deployment sharing one DNS-safe name", () => {
    expect([configMap?.kind, secret?.kind, deployment?.kind]).toEqual(["ConfigMap", "Secret", "Deployment"]);
    const name = objectName(input.deploymentId);
    expect(name).toBe("symbiont-3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    expect(name.length).toBeLessThanOrEqual(63);
    for (const object of [configMap, secret, deployment]) {
      expect(object?.metadata).toMatchObject({ name, namespace: "agents" });
      // Label values may not hold spaces or @.
      expect(object?.metadata.labels["symbiont.dev/agent"]).toBe("Support_Bot_eu");
      expect(object?.metadata.annotations["symbiont.dev/agent-id"]).toBe("Support Bot@eu");
    }
    expect(objectName("x".repeat(200))).toHaveLength(63);
    expect(objectName("--Weird__ID--")).toBe("symbiont-weird-id");
  });

  it("run the replica as a non-root user that cannot escalate, on a read-only root filesystem", () => {
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("request and limit the agent's memory and CPU", () => {
    expect(container.resources).toEqual({
      requests: { memory: "512Mi", cpu: "100m" },
      limits: { memory: "512Mi", cpu: "1500m" },
    });
    const [, , unlimited] = buildManifests({
      ...input,
      limits: { max_memory_mb: null, max_cpu_cores: null, timeout_seconds: null },
    }) as KubeObject[];
    // Requests always exist (the scheduler needs them); no CPU limit unless the agent sets one.
    expect(unlimited?.spec.template.spec.containers[0].resources).toEqual({
      requests: { memory: "256Mi", cpu: "100m" },
      limits: { memory: "256Mi" },
    });
  });

  it("probe the replica's health route for readiness and liveness", () => {
    expect(container.ports).toEqual([{ name: "http", containerPort: REPLICA_PORT, protocol: "TCP" }]);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(deployment?.spec.replicas).toBe(3);
    expect(deployment?.spec.selector.matchLabels).toEqual(
      deployment?.spec.template.metadata.labels && {
        "app.kubernetes.io/instance": configMap?.metadata.name,
      },
    );
  });

  it("keep resolved secret values in the Secret only, and plain settings in the ConfigMap", () => {
    expect(secret?.stringData).toEqual({ GITHUB_TOKEN: "ghp_resolved" });
    expect(JSON.stringify(configMap)).not.toContain("ghp_resolved");
    expect(JSON.stringify(deployment)).not.toContain("ghp_resolved");
    expect(configMap?.data).toEqual({
      LOG_FORMAT: "json",
      SYMBIONT_REPLICA_API_URL: "http://symbiont.agents.svc:8080/api/v1",
      SYMBIONT_REPLICA_AGENT_ID: "Support Bot@eu",
      SYMBIONT_REPLICA_DEPLOYMENT_ID: input.deploymentId,
      SYMBIONT_REPLICA_HOST: "0.0.0.0",
      SYMBIONT_REPLICA_PORT: "8080",
      SYMBIONT_REPLICA_TIMEOUT_SECONDS: "120",
    });
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap?.metadata.name } },
      { secretRef: { name: configMap?.metadata.name } },
    ]);
  });
});
