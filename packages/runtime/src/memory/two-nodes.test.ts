import { MemoryResponse, MemorySearchResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const postgres = databaseTargets.find((t) => t.name === "postgres");

describe.skipIf(!postgres?.available)("two runtime nodes on one Postgres", () => {
  let database: FreshDatabase;
  let nodeA: TestRuntime;
  let nodeB: TestRuntime;
  beforeAll(async () => {
    database = await (postgres as NonNullable<typeof postgres>).create();
    nodeA = await startTestRuntime(database);
    nodeB = await startTestRuntime(database);
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await database?.dispose();
  });

  const memory = (text: string) => ({
    content: { text },
    memory_type: "fact",
    memory_level: "long_term",
    agent_id: "shared",
  });

  it("a memory stored or forgotten through one node is found or gone through the other", async () => {
    await nodeA.call("POST", "/memory", { body: memory("the first fact about lighthouses") });
    // Node B loads the agent's space now, before node A writes again.
    const before = MemorySearchResponse.parse(
      (await nodeB.call("POST", "/memory/search", { body: { agent_id: "shared", query: "lighthouses" } }))
        .body,
    );
    expect(before.memories).toHaveLength(1);
    const second = MemoryResponse.parse(
      (await nodeA.call("POST", "/memory", { body: memory("a second fact about lighthouse keepers") })).body,
    );
    const after = MemorySearchResponse.parse(
      (
        await nodeB.call("POST", "/memory/search", {
          body: { agent_id: "shared", query: "lighthouse keepers" },
        })
      ).body,
    );
    expect(after.memories[0]?.id).toBe(second.memory.id);
    await nodeB.call("DELETE", `/memory/${second.memory.id}`);
    const gone = MemorySearchResponse.parse(
      (
        await nodeA.call("POST", "/memory/search", {
          body: { agent_id: "shared", query: "lighthouse keepers" },
        })
      ).body,
    );
    expect(gone.memories.map((m) => m.id)).not.toContain(second.memory.id);
  });
});
