import { type DeploymentLogLine, NotFoundError, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

describe("the SDK's deployments and registry against a real runtime", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let sdk: SymbiontClient;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { deploymentStopGraceMs: 500 });
    sdk = new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    await sdk.agents.create(sampleAgent("sdk-svc") as never);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("deploys, waits for running, follows the logs and stops", async () => {
    const deployed = await sdk.deployments.deploy({
      agent_id: "sdk-svc",
      environment: "staging",
      config_overrides: { max_memory_mb: 256 },
    });
    expect(deployed.status).toBe("deploying");
    const running = await sdk.deployments.waitFor(deployed.deployment_id, { timeout: 10_000 });
    expect(running.instances[0]?.state).toBe("running");
    expect((await sdk.deployments.list("sdk-svc")).map((d) => d.deployment_id)).toContain(
      deployed.deployment_id,
    );

    const controller = new AbortController();
    const lines: DeploymentLogLine[] = [];
    const following = (async () => {
      for await (const line of sdk.deployments.followLogs(deployed.deployment_id, {
        signal: controller.signal,
      })) {
        lines.push(line);
        if (line.text.includes("SIGTERM")) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sdk.deployments.stop(deployed.deployment_id)).toEqual({
      deployment_id: deployed.deployment_id,
      status: "stopped",
    });
    await following;
    expect(lines.map((l) => l.text).join("\n")).toContain("serves agent sdk-svc");
    await expect(sdk.deployments.waitFor(deployed.deployment_id)).rejects.toThrow(/is stopped/);
  });

  it("throws typed errors for an unknown agent or a bad override", async () => {
    await expect(sdk.deployments.deploy({ agent_id: "nobody" })).rejects.toBeInstanceOf(NotFoundError);
    const bad = await sdk.deployments
      .deploy({ agent_id: "sdk-svc", config_overrides: { replicas: 0 } })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as Error).message).toContain("config_overrides.replicas");
  });

  it("plans manifests, and reads stats and an export that imports back", async () => {
    const plan = await sdk.deployments.plan({ agent_id: "sdk-svc", config_overrides: { replicas: 3 } });
    expect(plan.manifests.map((m) => m.kind)).toEqual(["ConfigMap", "Secret", "Deployment"]);
    const stats = await sdk.registry.stats();
    expect(stats).toMatchObject({ agents: 1, executor: "local" });
    const document = await sdk.registry.export();
    expect(document.agents.map((a) => a.id)).toEqual(["sdk-svc"]);
    const result = await sdk.registry.import({ ...document, deployments: [] });
    expect(result).toEqual({ agents_created: 0, agents_updated: 1, deployments_started: [] });
  });
});
