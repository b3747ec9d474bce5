import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentDeployResponse, DeploymentPlan } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../../test/support/databases.js";
import {
  type KubernetesApiServer,
  startKubernetesApiServer,
} from "../../../../../test/support/kubernetes-server.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../../test/support/runtime.js";
import { objectName } from "./manifests.js";

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`Kubernetes deployments on ${target.name}`, () => {
    let cluster: KubernetesApiServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    const start = () =>
      startTestRuntime(
        database,
        {
          executor: "kubernetes",
          kubeconfig: join(database.dataDir, "kubeconfig"),
          kubernetesNamespace: "agents",
          kubernetesRuntimeUrl: "http://symbiont.agents.svc:8080/api/v1",
        },
        { deployments: { kubernetes: { pollIntervalMs: 50 } } },
      );

    beforeAll(async () => {
      cluster = await startKubernetesApiServer({ readyAfterMs: 150 });
      database = await target.create();
      writeFileSync(join(database.dataDir, "kubeconfig"), cluster.kubeconfig());
      server = await start();
      await server.call("POST", "/agents", { body: sampleAgent("k8s-agent") });
      const secret = await server.call("POST", "/secrets", {
        body: { agent_id: "k8s-agent", secret_name: "github-token", secret_value: "ghp_from_the_store" },
      });
      expect(secret.status, secret.text).toBeLessThan(300);
    });
    afterAll(async () => {
      await server?.close();
      await cluster?.close();
      await database?.dispose();
    });

    it("applies a ConfigMap, a Secret and a Deployment, and reports running once the pods are ready", async () => {
      const deployed = await server.call("POST", "/agents/deploy", {
        body: {
          agent_id: "k8s-agent",
          environment: "production",
          config_overrides: {
            replicas: 2,
            max_memory_mb: 300,
            max_cpu_cores: 0.5,
            env: { LOG_FORMAT: "json", GITHUB_TOKEN: "secret://github-token" },
          },
        },
      });
      expect(deployed.status, deployed.text).toBe(200);
      const answer = deployed.body as AgentDeployResponse;
      expect(answer).toMatchObject({ status: "deploying", executor: "kubernetes", replicas: 2 });
      const running = await until(
        () =>
          server
            .call("GET", `/agents/deployments/${answer.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      expect(running.status, running.last_error ?? "").toBe("running");
      expect(running.instances.map((i) => i.state)).toEqual(["running", "running"]);
      // The reference is what is stored and shown; the value only reaches the cluster's Secret.
      expect(JSON.stringify(running)).not.toContain("ghp_from_the_store");
      expect(running.config_overrides).toMatchObject({ env: { GITHUB_TOKEN: "secret://github-token" } });

      const name = objectName(answer.deployment_id);
      const secret = cluster.object("secrets", "agents", name);
      expect(Buffer.from(secret?.data.GITHUB_TOKEN, "base64").toString()).toBe("ghp_from_the_store");
      const configMap = cluster.object("configmaps", "agents", name);
      expect(configMap?.data).toMatchObject({ LOG_FORMAT: "json", SYMBIONT_REPLICA_AGENT_ID: "k8s-agent" });
      expect(JSON.stringify(configMap)).not.toContain("ghp_from_the_store");
      const deployment = cluster.object("deployments", "agents", name);
      expect(deployment?.spec.replicas).toBe(2);
      expect(deployment?.spec.template.spec.containers[0].resources.limits).toEqual({
        memory: "300Mi",
        cpu: "500m",
      });
      expect(deployment?.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      const creates = cluster.requests.filter((r) => r.method === "POST").map((r) => r.path);
      expect(creates).toEqual([
        "/api/v1/namespaces/agents/configmaps",
        "/api/v1/namespaces/agents/secrets",
        "/apis/apps/v1/namespaces/agents/deployments",
      ]);
      expect(cluster.requests.every((r) => r.authorization === "Bearer local-cluster-token")).toBe(true);
    });

    it("replaces the objects that exist when a restarted runtime reconciles", async () => {
      const answer = (
        await server.call("POST", "/agents/deploy", {
          body: { agent_id: "k8s-agent", environment: "staging" },
        })
      ).body as AgentDeployResponse;
      await until(
        () =>
          server
            .call("GET", `/agents/deployments/${answer.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      const name = objectName(answer.deployment_id);
      const uid = cluster.object("deployments", "agents", name)?.metadata.uid;
      await server.close();
      // The pods keep running in the cluster while the runtime is away.
      expect(cluster.object("deployments", "agents", name)).toBeDefined();
      const mark = cluster.requests.length;
      server = await start();
      const back = await until(
        () =>
          server
            .call("GET", `/agents/deployments/${answer.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      expect(back.status).toBe("running");
      const replaced = cluster.requests
        .slice(mark)
        .filter((r) => r.method === "PUT")
        .map((r) => r.path);
      expect(replaced).toContain(`/apis/apps/v1/namespaces/agents/deployments/${name}`);
      expect(cluster.object("deployments", "agents", name)?.metadata.uid).toBe(uid);
    });

    it("stops by scaling to zero with a merge patch, then deleting all three objects", async () => {
      const answer = (await server.call("POST", "/agents/deploy", { body: { agent_id: "k8s-agent" } }))
        .body as AgentDeployResponse;
      await until(
        () =>
          server
            .call("GET", `/agents/deployments/${answer.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      const name = objectName(answer.deployment_id);
      const mark = cluster.requests.length;
      const stopped = await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
      expect(stopped.body).toEqual({ deployment_id: answer.deployment_id, status: "stopped" });
      const calls = cluster.requests
        .slice(mark)
        .map((r) => `${r.method} ${r.path}${r.method === "PATCH" ? ` ${r.contentType}` : ""}`);
      expect(calls).toEqual([
        `PATCH /apis/apps/v1/namespaces/agents/deployments/${name}/scale application/merge-patch+json`,
        `DELETE /apis/apps/v1/namespaces/agents/deployments/${name}`,
        `DELETE /api/v1/namespaces/agents/configmaps/${name}`,
        `DELETE /api/v1/namespaces/agents/secrets/${name}`,
      ]);
      for (const kind of ["deployments", "configmaps", "secrets"] as const)
        expect(cluster.object(kind, "agents", name)).toBeUndefined();
    });

    it("answers 503 when the cluster fails during a stop, stays stopped, and a second stop cleans up", async () => {
      const answer = (await server.call("POST", "/agents/deploy", { body: { agent_id: "k8s-agent" } }))
        .body as AgentDeployResponse;
      await until(
        () =>
          server
            .call("GET", `/agents/deployments/${answer.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      const name = objectName(answer.deployment_id);
      cluster.failing = true;
      try {
        const failed = await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
        expect(failed.status).toBe(503);
        expect(failed.text).toContain("Send the stop again");
        expect(failed.text).toContain("Kubernetes answered 500");
      } finally {
        cluster.failing = false;
      }
      const row = (await server.call("GET", `/agents/deployments/${answer.deployment_id}`))
        .body as AgentDeployResponse;
      expect(row.status).toBe("stopped");
      expect(cluster.object("deployments", "agents", name)).toBeDefined();
      const again = await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
      expect(again.status).toBe(200);
      expect(cluster.object("deployments", "agents", name)).toBeUndefined();
    });

    it("plans without applying: the manifests, with secret values described, never resolved", async () => {
      const mark = cluster.requests.length;
      const planned = await server.call("POST", "/deployments/plan", {
        body: { agent_id: "k8s-agent", config_overrides: { env: { GITHUB_TOKEN: "secret://github-token" } } },
      });
      expect(planned.status, planned.text).toBe(200);
      const plan = planned.body as DeploymentPlan;
      expect(plan.manifests.map((m) => m.kind)).toEqual(["ConfigMap", "Secret", "Deployment"]);
      expect(planned.text).not.toContain("ghp_from_the_store");
      expect(planned.text).toContain("resolved from secret://github-token when applied");
      expect(cluster.requests.length).toBe(mark);
      // An agent about to be registered (a file's dry run) can be planned too; a bad request cannot.
      expect((await server.call("POST", "/deployments/plan", { body: { agent_id: "not-yet" } })).status).toBe(
        200,
      );
      const bad = await server.call("POST", "/deployments/plan", {
        body: { agent_id: "k8s-agent", config_overrides: { replicas: -1 } },
      });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain("body.config_overrides.replicas");
    });
  });
}
