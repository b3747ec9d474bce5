import { MemorySearchResponse, type Run } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import {
  type ModelRequest,
  type ModelServer,
  type ScriptedTurn,
  startOpenAiServer,
} from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const TOOLS = ["memory_store", "memory_search", "knowledge_search"];

/** `<kind>: <text>`: the model calls one memory tool with the text, then reports what it got. */
function script(request: ModelRequest): ScriptedTurn {
  const split = request.input.indexOf(":");
  const kind = request.input.slice(0, split);
  const rest = request.input.slice(split + 1).trim();
  const last = request.toolResults.at(-1);
  if (last !== undefined) return { text: `tool said: ${last}` };
  switch (kind) {
    case "store":
      return { toolCalls: [{ name: "memory_store", arguments: { content: rest } }] };
    case "recall":
      return { toolCalls: [{ name: "memory_search", arguments: { query: rest } }] };
    case "know":
      return {
        toolCalls: [{ name: "knowledge_search", arguments: { query: rest, similarity_threshold: 0 } }],
      };
    case "bad-store":
      // A model that tries to pick the agent and sends nonsense: refused, naming the fields.
      return {
        toolCalls: [
          { name: "memory_store", arguments: { content: "  ", memory_level: "forever", agent_id: "other" } },
        ],
      };
    default:
      return { text: "nothing to do" };
  }
}

const memory = (agent: string, text: string) => ({
  content: { text },
  memory_type: "fact",
  memory_level: "long_term",
  agent_id: agent,
  conversation_id: null,
  importance_score: 0.5,
  parent_id: null,
  metadata: {},
});
const knowledge = (id: string, content: string, agentId: string | null) => ({
  id,
  content,
  embedding: null,
  metadata: {
    source: `${id}.md`,
    source_type: "document",
    chunk_index: null,
    timestamp: "2024-01-15T10:30:00",
    agent_id: agentId,
  },
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`memory and knowledge tools in runs on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    let otherTenant: { authorization: string };

    const ok = async (
      method: string,
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ): Promise<unknown> => {
      const response = await server.call(method, path, { body, headers });
      expect(response.status, response.text).toBeLessThan(300);
      return response.body;
    };
    const execute = async (agent: string, input: string, headers: Record<string, string> = {}) =>
      (await ok("POST", `/agents/${agent}/execute`, { input }, headers)) as Run;
    const toolStep = (run: Run) => run.steps.find((s) => s.kind === "tool_call");
    const resultOf = <T>(run: Run): T => {
      const step = toolStep(run);
      if (!step) throw new Error(`run ${run.id} called no tool: ${JSON.stringify(run.steps)}`);
      return step.data.result as T;
    };
    const permitAll = async (headers: Record<string, string> = {}) => {
      for (const tool of TOOLS)
        await ok(
          "POST",
          "/policies",
          {
            name: `allow ${tool}`,
            policy: `permit(principal == Agent::"scribe", action == Action::"call_tool", resource == Tool::"${tool}");`,
          },
          headers,
        );
    };
    const searchMemories = async (agent: string, query: string, headers: Record<string, string> = {}) =>
      MemorySearchResponse.parse(await ok("POST", "/memory/search", { agent_id: agent, query }, headers));

    beforeAll(async () => {
      model = await startOpenAiServer(script);
      database = await target.create();
      server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
      const key = await insertApiKey(server, {
        tenant: "tenant-two",
        permissions: ["read", "write", "delete", "execute", "admin"],
      });
      otherTenant = { authorization: `Bearer ${key.key}` };
      for (const headers of [{}, otherTenant])
        await ok("POST", "/agents", sampleAgent("scribe", { tools: TOOLS }), headers);
      await ok("POST", "/agents", sampleAgent("bystander"));
      // What the scribe of the default tenant must never see.
      await ok("POST", "/memory", memory("bystander", "zebras: the bystander's own note"));
      await ok("POST", "/memory", memory("scribe", "zebras: tenant two's secret"), otherTenant);
      await ok("POST", "/knowledge", knowledge("guide", "Zebras eat grass and hay every day.", null));
      await ok(
        "POST",
        "/knowledge",
        knowledge("private", "Zebras notes private to the bystander.", "bystander"),
      );
      await ok(
        "POST",
        "/knowledge",
        knowledge("elsewhere", "Zebras handbook of tenant two.", null),
        otherTenant,
      );
    });

    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    it("gates the memory tools like any other: without a policy nothing is stored", async () => {
      const run = await execute("scribe", "store: zebras have stripes");
      expect(run.status, run.error ?? "").toBe("succeeded");
      const offered = (model.requests.find((r) => r.input === "store: zebras have stripes")?.body.tools ??
        []) as { function: { name: string } }[];
      expect(offered.map((t) => t.function.name).sort()).toEqual([...TOOLS].sort());
      expect(run.steps.find((s) => s.kind === "gate")?.data).toMatchObject({
        tool: "memory_store",
        source: "builtin",
        decision: "deny",
      });
      expect(toolStep(run)).toBeUndefined();
      expect((await searchMemories("scribe", "stripes")).memories).toEqual([]);
    });

    it("stores and finds the run's agent's memories, in the run's tenant only", async () => {
      await permitAll();
      const stored = await execute("scribe", "store: zebras have black and white stripes ✓");
      expect(stored.status, stored.error ?? "").toBe("succeeded");
      expect(toolStep(stored)?.data).toMatchObject({
        tool: "memory_store",
        executed: true,
        is_error: false,
        result: { stored: true, memory_type: "fact", memory_level: "long_term" },
      });
      const saved = await searchMemories("scribe", "stripes");
      expect(saved.memories.map((m) => m.content)).toEqual([
        { text: "zebras have black and white stripes ✓" },
      ]);
      expect(saved.memories[0]?.id).toBe(resultOf<{ id: string }>(stored).id);
      // Stored in this tenant: tenant two's scribe has only its own memory.
      const theirs = await searchMemories("scribe", "stripes", otherTenant);
      expect(theirs.memories.map((m) => m.content)).toEqual([{ text: "zebras: tenant two's secret" }]);

      const recalled = await execute("scribe", "recall: zebras");
      expect(recalled.status, recalled.error ?? "").toBe("succeeded");
      const result = JSON.stringify(toolStep(recalled)?.data.result);
      expect(result).toContain("black and white stripes");
      expect(result).not.toContain("bystander");
      expect(result).not.toContain("tenant two");
      expect(recalled.output).toContain("black and white stripes");
    });

    it("searches the knowledge shared with the agent in the run's tenant", async () => {
      const run = await execute("scribe", "know: zebras");
      expect(run.status, run.error ?? "").toBe("succeeded");
      const step = toolStep(run);
      expect(step?.data).toMatchObject({ tool: "knowledge_search", executed: true, is_error: false });
      const ids = resultOf<{ results: { id: string }[] }>(run).results.map((r) => r.id);
      expect(ids).toEqual(["guide"]);
      expect(run.output).toContain("Zebras eat grass and hay");
    });

    it("runs in another tenant see only that tenant's memories and knowledge", async () => {
      await permitAll(otherTenant);
      const recalled = await execute("scribe", "recall: zebras", otherTenant);
      const memories = JSON.stringify(toolStep(recalled)?.data.result);
      expect(memories).toContain("tenant two's secret");
      expect(memories).not.toContain("stripes");
      const known = await execute("scribe", "know: zebras", otherTenant);
      const ids = resultOf<{ results: { id: string }[] }>(known).results.map((r) => r.id);
      expect(ids).toEqual(["elsewhere"]);
    });

    it("refuses bad arguments with the fields named, and stores nothing", async () => {
      const run = await execute("scribe", "bad-store: nonsense");
      expect(run.status).toBe("succeeded");
      const step = toolStep(run);
      expect(step?.data).toMatchObject({ tool: "memory_store", executed: true, is_error: true });
      const message = String(step?.data.result);
      expect(message).toContain("content");
      expect(message).toContain("memory_level");
      expect(message).toContain("agent_id");
      // The scribe still has exactly the one memory it stored, and no other agent got one.
      const listed = await ok("GET", "/memory/agent?agent_id=scribe&limit=100", undefined);
      expect(JSON.stringify(listed).match(/"memory_type"/g)).toHaveLength(1);
      expect((await searchMemories("other", "nonsense")).memories).toEqual([]);
    });
  });
}
