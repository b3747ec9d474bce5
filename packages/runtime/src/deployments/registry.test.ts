import type { AgentDeployResponse, RegistryDocument, RegistryStats } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { bearer } from "../../../../test/support/identity.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`registry stats, export and import on ${target.name}`, () => {
    const databases: FreshDatabase[] = [];
    let source: TestRuntime;
    let destination: TestRuntime;

    beforeAll(async () => {
      databases.push(await target.create(), await target.create());
      source = await startTestRuntime(databases[0] as FreshDatabase, { deploymentStopGraceMs: 500 });
      destination = await startTestRuntime(databases[1] as FreshDatabase, { deploymentStopGraceMs: 500 });
      await source.call("POST", "/agents", {
        body: sampleAgent("writer", { description: "écrit des résumés ✍️" }),
      });
      await source.call("POST", "/agents", { body: sampleAgent("idle-one") });
    });
    afterAll(async () => {
      await source?.close();
      await destination?.close();
      for (const database of databases) await database.dispose();
    });

    it("counts agents, deployments by status, running replicas and restarts", async () => {
      const running = (
        await source.call("POST", "/agents/deploy", {
          body: {
            agent_id: "writer",
            environment: "production",
            config_overrides: { replicas: 2, max_memory_mb: 512 },
          },
        })
      ).body as AgentDeployResponse;
      const stopped = (await source.call("POST", "/agents/deploy", { body: { agent_id: "idle-one" } }))
        .body as AgentDeployResponse;
      await until(
        () =>
          source
            .call("GET", `/agents/deployments/${running.deployment_id}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      await source.call("POST", `/agents/deployments/${stopped.deployment_id}/stop`);
      const stats = (await source.call("GET", "/registry/stats")).body as RegistryStats;
      expect(stats).toEqual({
        agents: 2,
        deployments: { total: 2, deploying: 0, running: 1, stopped: 1, failed: 0 },
        replicas_running: 2,
        restarts_total: 0,
        executor: "local",
      });
    });

    it("exports agents and deployments, and an import elsewhere recreates them and starts what was running", async () => {
      const exported = await source.call("GET", "/registry/export");
      expect(exported.status).toBe(200);
      const document = exported.body as RegistryDocument;
      expect(document.format).toBe("symbiont-registry/1");
      expect(document.agents.map((a) => a.id).sort()).toEqual(["idle-one", "writer"]);
      expect(document.deployments).toContainEqual({
        agent_id: "writer",
        environment: "production",
        config_overrides: { replicas: 2, max_memory_mb: 512 },
        running: true,
      });
      expect(document.deployments.filter((d) => !d.running)).toHaveLength(1);

      const imported = await destination.call("POST", "/registry/import", { body: document });
      expect(imported.status, imported.text).toBe(200);
      const result = imported.body as {
        agents_created: number;
        agents_updated: number;
        deployments_started: string[];
      };
      expect(result).toMatchObject({ agents_created: 2, agents_updated: 0 });
      expect(result.deployments_started).toHaveLength(1);
      const definition = (await destination.call("GET", "/agents/writer/definition")).body as {
        description: string;
      };
      expect(definition.description).toBe("écrit des résumés ✍️");
      const started = await until(
        () =>
          destination
            .call("GET", `/agents/deployments/${result.deployments_started[0]}`)
            .then((r) => r.body as AgentDeployResponse),
        (d) => d.status === "running",
      );
      expect(started).toMatchObject({ agent_id: "writer", environment: "production", replicas: 2 });
      // Importing again updates the agents instead of failing on them.
      const again = await destination.call("POST", "/registry/import", {
        body: { ...document, deployments: [] },
      });
      expect(again.body).toMatchObject({ agents_created: 0, agents_updated: 2, deployments_started: [] });
      await destination.call("POST", `/agents/deployments/${result.deployments_started[0]}/stop`);
    });

    it("refuses a bad document with a 4xx naming the field, before writing anything", async () => {
      const valid = (await source.call("GET", "/registry/export")).body as RegistryDocument;
      const before = (await destination.call("GET", "/agents")).body as string[];
      const cases: [unknown, string][] = [
        [{ ...valid, format: "something-else/9" }, "body.format"],
        [
          { ...valid, agents: [{ ...valid.agents[0], id: "new-one", temperature: 9 }] },
          "body.agents.0.temperature",
        ],
        [{ ...valid, agents: [{ ...valid.agents[0], id: "deploy" }] }, "body.agents.0.id"],
        [
          {
            ...valid,
            agents: [{ ...valid.agents[0], id: "new-one" }],
            deployments: [{ agent_id: "nobody", environment: "x", config_overrides: {}, running: true }],
          },
          "body.deployments.0.agent_id",
        ],
        [
          {
            ...valid,
            deployments: [
              { agent_id: "writer", environment: "x", config_overrides: { cpu: 1 }, running: true },
            ],
          },
          "body.deployments.0.config_overrides.cpu",
        ],
        [{ ...valid, extra: true }, "body.extra"],
      ];
      for (const [body, field] of cases) {
        const response = await destination.call("POST", "/registry/import", { body });
        expect(response.status, response.text).toBe(400);
        expect(response.text).toContain(field);
      }
      expect((await destination.call("GET", "/agents")).body).toEqual(before);
    });

    it("lets a read-only key read stats and export, and nothing more", async () => {
      const key = await source.call("POST", "/keys", { body: { name: "reader", permissions: ["read"] } });
      const reader = bearer((key.body as { key: string }).key);
      expect((await source.call("GET", "/registry/stats", { headers: reader })).status).toBe(200);
      expect((await source.call("GET", "/registry/export", { headers: reader })).status).toBe(200);
      const document = (await source.call("GET", "/registry/export", { headers: reader })).body;
      expect(
        (await source.call("POST", "/registry/import", { body: document, headers: reader })).status,
      ).toBe(403);
      expect(
        (await source.call("POST", "/agents/deploy", { body: { agent_id: "writer" }, headers: reader }))
          .status,
      ).toBe(403);
    });
  });
}
