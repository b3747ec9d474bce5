import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AgentDeployResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase, tempDir } from "../../../../test/support/databases.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { groupAlive } from "./local/process-groups.js";

const postgres = databaseTargets.find((t) => t.name === "postgres");

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!postgres?.available)("deployments on two runtime nodes sharing one Postgres", () => {
  let database: FreshDatabase;
  let nodeA: TestRuntime;
  let nodeB: TestRuntime;
  let nodeBDir: string | undefined;
  beforeAll(async () => {
    database = await (postgres as NonNullable<typeof postgres>).create();
    nodeA = await startTestRuntime(database, { deploymentStopGraceMs: 500 });
    // Its own data dir, for its own node id; the same master key, as every node of one database has.
    const dataDir = tempDir();
    nodeBDir = dataDir;
    copyFileSync(join(database.dataDir, "master.key"), join(dataDir, "master.key"));
    nodeB = await startTestRuntime({ ...database, dataDir }, { deploymentStopGraceMs: 500 });
    await nodeA.call("POST", "/agents", { body: sampleAgent("shared-svc") });
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await database?.dispose();
    if (nodeBDir) rmSync(nodeBDir, { recursive: true, force: true });
  });

  it("a deployment started on one node and stopped through the other ends its replicas", async () => {
    const answer = (await nodeA.call("POST", "/agents/deploy", { body: { agent_id: "shared-svc" } }))
      .body as AgentDeployResponse;
    const running = await until(
      () =>
        nodeA
          .call("GET", `/agents/deployments/${answer.deployment_id}`)
          .then((r) => r.body as AgentDeployResponse),
      (d) => d.status === "running",
    );
    const pgid = running.instances[0]?.pid as number;
    // Node B sees its state from the database.
    const seen = (await nodeB.call("GET", `/agents/deployments/${answer.deployment_id}`))
      .body as AgentDeployResponse;
    expect(seen.status).toBe("running");

    const stopped = await nodeB.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
    expect(stopped.body).toEqual({ deployment_id: answer.deployment_id, status: "stopped" });
    expect(
      await until(
        () => groupAlive(pgid),
        (alive) => !alive,
        6000,
      ),
    ).toBe(false);
    const after = (await nodeA.call("GET", `/agents/deployments/${answer.deployment_id}`))
      .body as AgentDeployResponse;
    expect(after.status).toBe("stopped");
  });
});
