import { ConsolidationResponse, MemoryResponse, MemorySearchResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import {
  type ModelServer,
  type ScriptedTurn,
  startOpenAiServer,
} from "../../../../test/support/model-servers.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const episode = (agent: string, text: string) => ({
  content: { text },
  memory_type: "experience",
  memory_level: "episodic",
  agent_id: agent,
  conversation_id: null,
  importance_score: 0.4,
  parent_id: null,
  metadata: {},
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`episodic summaries on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    let answer: ScriptedTurn = { text: "" };

    beforeAll(async () => {
      model = await startOpenAiServer(() => answer);
      database = await target.create();
      server = await startTestRuntime(database, {
        memorySummaryModel: "ollama/llama3.2",
        memorySummaryAgeDays: 0,
        ollamaBaseUrl: model.url,
      });
    });
    afterAll(async () => {
      await server?.close();
      await model?.close();
      await database?.dispose();
    });

    const remember = async (agent: string, texts: string[]) => {
      const ids: string[] = [];
      for (const text of texts) {
        const response = await server.call("POST", "/memory", { body: episode(agent, text) });
        expect(response.status, response.text).toBe(200);
        ids.push(MemoryResponse.parse(response.body).memory.id);
      }
      return ids;
    };
    const consolidate = async (agent: string) => {
      const response = await server.call("POST", `/memory/consolidate/${agent}`);
      expect(response.status, response.text).toBe(200);
      return ConsolidationResponse.parse(response.body);
    };
    const search = async (agent: string, query: string) =>
      MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query, limit: 10 } })).body,
      ).memories;

    it("keeps every episode when the model fails, and says why", async () => {
      const ids = await remember("sum-fail", [
        "Deployed build 41 to staging",
        "Build 41 failed its smoke test",
      ]);
      answer = { failStatus: 503, failBody: '{"error":{"message":"model is loading"}}' };
      const result = await consolidate("sum-fail");
      expect(result.summaries).toMatchObject({
        status: "failed",
        summaries_created: 0,
        memories_summarized: 0,
      });
      expect(result.summaries?.error).toContain("503");
      expect(result.message).toContain("episodes kept");
      const found = await search("sum-fail", "build 41 smoke test");
      expect(found.map((m) => m.id).sort()).toEqual([...ids].sort());
    });

    it("summarises old episodes into one semantic memory linked to them, the episodes kept as history", async () => {
      const ids = await remember("sum-ok", [
        "The user asked for the deploy at 9am and said they prefer mornings",
        "Deploy of build 42 finished; the user thanked us",
        "User mentioned the staging cluster is called zeppelin-west",
      ]);
      model.requests.length = 0;
      answer = { text: "The user prefers morning deploys; build 42 shipped; staging is zeppelin-west." };
      const result = await consolidate("sum-ok");
      expect(result.summaries).toEqual({
        status: "summarized",
        model: "ollama/llama3.2",
        summaries_created: 1,
        memories_summarized: 3,
        error: null,
      });
      // The model was asked once, with every episode in the prompt.
      expect(model.requests).toHaveLength(1);
      const prompt = JSON.stringify(model.requests[0]?.body);
      expect(prompt).toContain("zeppelin-west");
      expect(prompt).toContain("build 42");
      expect(model.requests[0]?.body.model).toBe("llama3.2");

      const found = await search("sum-ok", "zeppelin-west staging");
      expect(found).toHaveLength(1);
      const summary = found[0];
      expect(summary).toMatchObject({
        memory_level: "semantic",
        content: { text: "The user prefers morning deploys; build 42 shipped; staging is zeppelin-west." },
        metadata: { summary_of: ids, summary_model: "ollama/llama3.2" },
      });
      // The episodes are still there, each pointing at its summary, but no longer found.
      for (const id of ids) {
        const read = await server.call("GET", `/memory?agent_id=sum-ok&limit=50&memory_id=${id}`);
        expect(read.status).toBe(404);
      }
      const rows = await server.runtime.store.db
        .selectFrom("memories")
        .select(["id", "superseded_by"])
        .where("id", "in", ids)
        .execute();
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.superseded_by).toBe(summary?.id);

      // Nothing left to summarise: the model is not asked again.
      const again = await consolidate("sum-ok");
      expect(again.summaries?.status).toBe("nothing_to_summarize");
      expect(model.requests).toHaveLength(1);
    });

    it("writes one summary when two consolidations of an agent race", async () => {
      const ids = await remember("sum-race", ["Race episode one", "Race episode two", "Race episode three"]);
      answer = { text: "The race episodes happened.", delayMs: 300 };
      const results = await Promise.all([consolidate("sum-race"), consolidate("sum-race")]);
      expect(results.map((r) => r.summaries?.summaries_created).sort()).toEqual([0, 1]);
      const summaries = await server.runtime.store.db
        .selectFrom("memories")
        .select(["id"])
        .where("agent_id", "=", "sum-race")
        .where("memory_level", "=", "semantic")
        .execute();
      expect(summaries).toHaveLength(1);
      const episodes = await server.runtime.store.db
        .selectFrom("memories")
        .select("superseded_by")
        .where("id", "in", ids)
        .execute();
      expect(episodes.map((e) => e.superseded_by)).toEqual(ids.map(() => summaries[0]?.id));
    });

    it("leaves a lone episode alone and treats an empty answer as a failure", async () => {
      await remember("sum-lone", ["Only one thing happened"]);
      expect((await consolidate("sum-lone")).summaries?.status).toBe("nothing_to_summarize");
      await remember("sum-empty", ["First", "Second"]);
      answer = { text: "   " };
      const result = await consolidate("sum-empty");
      expect(result.summaries).toMatchObject({ status: "failed", summaries_created: 0 });
      expect(result.summaries?.error).toContain("empty summary");
      expect((await search("sum-empty", "First Second")).length).toBe(2);
    });
  });
}

describe("consolidation without a summary model", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  beforeAll(async () => {
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("reports the summaries as skipped and touches no episode", async () => {
    for (const text of ["one", "two", "three"])
      await server.call("POST", "/memory", { body: episode("no-model", text) });
    const result = ConsolidationResponse.parse(
      (await server.call("POST", "/memory/consolidate/no-model")).body,
    );
    expect(result.summaries).toEqual({
      status: "skipped_no_model",
      model: null,
      summaries_created: 0,
      memories_summarized: 0,
      error: null,
    });
    expect(result.message).toContain("no memorySummaryModel configured");
  });
});
