import {
  ConsolidationResponse,
  ConversationContext,
  MemoryResponse,
  MemorySearchResponse,
} from "@symbiont/protocol";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";
import { KeywordIndex } from "../retrieval/keyword-index.js";

const memory = (agent: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  content,
  memory_type: "fact",
  memory_level: "long_term",
  agent_id: agent,
  conversation_id: null,
  importance_score: 0.5,
  parent_id: null,
  metadata: {},
  ...extra,
});

type Issues = { details: { issues: { field: string }[] } };
const fieldsOf = (body: unknown) => (body as Issues).details.issues.map((i) => i.field);

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`memory API on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("stores a memory and reads it back by id, counting the recall", async () => {
      const added = MemoryResponse.parse(
        (await server.call("POST", "/memory", { body: memory("m-a", { text: "The sky is blue" }) })).body,
      );
      expect(added.memory).toMatchObject({
        agent_id: "m-a",
        memory_type: "fact",
        importance_score: 0.5,
        access_count: 0,
        children_ids: [],
      });
      const read = await server.call("GET", `/memory?agent_id=m-a&limit=50&memory_id=${added.memory.id}`);
      expect(read.status).toBe(200);
      const node = MemoryResponse.parse(read.body).memory;
      expect(node.content).toEqual({ text: "The sky is blue" });
      expect(node.access_count).toBe(1);
      expect(node.last_accessed).not.toBeNull();
      // Another agent's memory id is not found.
      expect(
        (await server.call("GET", `/memory?agent_id=other&limit=50&memory_id=${added.memory.id}`)).status,
      ).toBe(404);
    });

    it("GET /memory without an id returns the newest match, and 404 when none", async () => {
      await server.call("POST", "/memory", { body: memory("m-b", { n: 1 }, { conversation_id: "c1" }) });
      await server.call("POST", "/memory", { body: memory("m-b", { n: 2 }, { conversation_id: "c1" }) });
      const newest = MemoryResponse.parse(
        (await server.call("GET", "/memory?agent_id=m-b&limit=50&conversation_id=c1")).body,
      );
      expect(newest.memory.content).toEqual({ n: 2 });
      expect((await server.call("GET", "/memory?agent_id=m-b&limit=50&conversation_id=none")).status).toBe(
        404,
      );
    });

    it("filters by the contract's fields and ranks free text by hybrid relevance", async () => {
      const agent = "m-search";
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "Alice prefers green tea in the morning" }, { importance_score: 0.9 }),
      });
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "The deployment uses Kubernetes on GKE" }, { memory_type: "experience" }),
      });
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "Ünïcödé café naïve 東京" }, { memory_level: "episodic" }),
      });
      const filtered = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: {
              agent_id: agent,
              query: { memory_type: "experience" },
              memory_levels: null,
              content_contains: null,
              importance_threshold: null,
              time_range: null,
              limit: 50,
            },
          })
        ).body,
      );
      expect(filtered.memories.map((m) => m.content.text)).toEqual(["The deployment uses Kubernetes on GKE"]);
      const contains = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: { agent_id: agent, content_contains: "CAFÉ", limit: 50 },
          })
        ).body,
      );
      expect(contains.total_count).toBe(1);
      const important = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: { agent_id: agent, importance_threshold: 0.8 },
          })
        ).body,
      );
      expect(important.memories.map((m) => m.importance_score)).toEqual([0.9]);
      const ranked = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: { agent_id: agent, query: "what tea does Alice drink?" },
          })
        ).body,
      );
      expect(ranked.memories[0]?.content.text).toBe("Alice prefers green tea in the morning");
      expect(typeof ranked.memories[0]?.score).toBe("number");
      const keyword = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query: "kubernetes" } }))
          .body,
      );
      expect(keyword.memories[0]?.content.text).toContain("Kubernetes");
    });

    it("finds inflected words through stemming in the keyword index", async () => {
      const agent = "m-stem";
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "The children were running quickly to the station" }),
      });
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "Quarterly revenue grew in Europe" }),
      });
      const db = server.runtime.store.db;
      const hits = await server.runtime.store.db
        .selectFrom("memories")
        .select("id")
        .where("agent_id", "=", agent)
        .execute();
      expect(hits).toHaveLength(2);
      const keyword = await new KeywordIndex(server.runtime.store.dialect).search(
        db,
        "default",
        `memory:${agent}`,
        "runs",
        10,
      );
      expect(keyword).toHaveLength(1);
      const ranked = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: { agent_id: agent, query: "who runs to stations" },
          })
        ).body,
      );
      expect(ranked.memories[0]?.content.text).toContain("running");
    });

    it("forgetting removes the memory from its row, the keyword index and the vector index", async () => {
      const agent = "m-forget";
      const added = MemoryResponse.parse(
        (await server.call("POST", "/memory", { body: memory(agent, { text: "secret launch code zebra" }) }))
          .body,
      );
      const id = added.memory.id;
      const before = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query: "zebra launch" } }))
          .body,
      );
      expect(before.memories.map((m) => m.id)).toContain(id);
      const deleted = await server.call("DELETE", `/memory/${id}`);
      expect(deleted.body).toEqual({ deleted: true, memory_id: id });
      const after = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query: "zebra launch" } }))
          .body,
      );
      expect(after.memories).toEqual([]);
      const db = server.runtime.store.db;
      const vectors = await db.selectFrom("vector_entries").select("id").where("id", "=", id).execute();
      expect(vectors).toEqual([]);
      const texts = await sql<{ id: string }>`select id from text_entries where id = ${id}`.execute(db);
      expect(texts.rows).toEqual([]);
      expect((await server.call("DELETE", `/memory/${id}`)).status).toBe(404);
    });

    it("consolidates: prunes over the cap, promotes important short-term memories, merges duplicates keeping history", async () => {
      const agent = "m-consolidate";
      for (let i = 0; i < 52; i++) {
        await server.call("POST", "/memory", {
          body: memory(
            agent,
            { text: `short term note number ${i} about topic ${i * 7}` },
            { memory_level: "short_term", importance_score: i < 3 ? 0.9 : 0.1 + i / 1000 },
          ),
        });
      }
      const first = await server.call("POST", "/memory", {
        body: memory(agent, { text: "The office is on the fifth floor" }, { importance_score: 0.8 }),
      });
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "The office is on the fifth floor" }, { importance_score: 0.4 }),
      });
      const report = ConsolidationResponse.parse(
        (await server.call("POST", `/memory/consolidate/${agent}`)).body,
      );
      expect(report).toMatchObject({
        agent_id: agent,
        pruned_count: 2,
        promoted_count: 3,
        consolidated_count: 1,
        success: true,
      });
      const keptId = MemoryResponse.parse(first.body).memory.id;
      const kept = MemoryResponse.parse(
        (await server.call("GET", `/memory?agent_id=${agent}&limit=50&memory_id=${keptId}`)).body,
      ).memory;
      expect((kept.metadata.merged_from as string[]).length).toBe(1);
      const history = await server.runtime.store.db
        .selectFrom("memories")
        .select("superseded_by")
        .where("agent_id", "=", agent)
        .where("superseded_by", "is not", null)
        .execute();
      expect(history).toEqual([{ superseded_by: keptId }]);
      // An unknown agent: zero counts, not an error.
      expect(
        ConsolidationResponse.parse((await server.call("POST", "/memory/consolidate/nobody")).body),
      ).toMatchObject({ pruned_count: 0, promoted_count: 0, consolidated_count: 0 });
    });

    it("conversation context: recent turns in order plus related memories, within the token budget", async () => {
      const agent = "m-conv";
      await server.call("POST", "/memory", {
        body: memory(agent, { text: "Bob's favourite database is Postgres" }),
      });
      for (const turn of ["hello", "which database should we use for Bob", "let me check"]) {
        await server.call("POST", "/memory", {
          body: memory(
            agent,
            { text: turn },
            { memory_type: "conversation", memory_level: "short_term", conversation_id: "conv-1" },
          ),
        });
      }
      const context = ConversationContext.parse(
        (await server.call("GET", `/memory/conversation?conversation_id=conv-1&agent_id=${agent}`)).body,
      );
      expect(context.memories.slice(0, 3).map((m) => m.content.text)).toEqual([
        "hello",
        "which database should we use for Bob",
        "let me check",
      ]);
      expect(context.memories.map((m) => m.content.text)).toContain("Bob's favourite database is Postgres");
      const tiny = ConversationContext.parse(
        (
          await server.call(
            "GET",
            `/memory/conversation?conversation_id=conv-1&agent_id=${agent}&max_tokens=16`,
          )
        ).body,
      );
      expect(tiny.memories.length).toBeLessThan(4);
      const unknown = ConversationContext.parse(
        (await server.call("GET", `/memory/conversation?conversation_id=none&agent_id=${agent}`)).body,
      );
      expect(unknown.memories).toEqual([]);
    });

    it("lists an agent's memories newest first", async () => {
      const list = MemorySearchResponse.parse(
        (await server.call("GET", "/memory/agent?agent_id=m-b&limit=100")).body,
      );
      expect(list.memories.map((m) => m.content.n)).toEqual([2, 1]);
      expect(list.total_count).toBe(2);
    });

    it("refuses bad input with 400 naming the field, and writes nothing", async () => {
      const bad = await server.call("POST", "/memory", {
        body: memory("m-bad", { x: 1 }, { memory_level: "forever", importance_score: 2 }),
      });
      expect(bad.status).toBe(400);
      expect(fieldsOf(bad.body)).toEqual(
        expect.arrayContaining(["body.memory_level", "body.importance_score"]),
      );
      const huge = await server.call("POST", "/memory", { body: memory("m-bad", { x: "y".repeat(70_000) }) });
      expect(huge.status).toBe(400);
      expect(fieldsOf(huge.body)).toContain("body.content");
      const badQuery = await server.call("POST", "/memory/search", {
        body: { agent_id: "m-bad", query: { color: "red" } },
      });
      expect(badQuery.status).toBe(400);
      const list = MemorySearchResponse.parse(
        (await server.call("GET", "/memory/agent?agent_id=m-bad&limit=10")).body,
      );
      expect(list.total_count).toBe(0);
    });

    it("takes concurrent writes without losing or duplicating any, in every store", async () => {
      const agent = "m-concurrent";
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          server.call("POST", "/memory", {
            body: memory(agent, { text: `parallel memory number ${i} marker${i}` }),
          }),
        ),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      const list = MemorySearchResponse.parse(
        (await server.call("GET", `/memory/agent?agent_id=${agent}&limit=100`)).body,
      );
      expect(list.total_count).toBe(30);
      const db = server.runtime.store.db;
      const vectors = await db
        .selectFrom("vector_entries")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("space", "=", `memory:${agent}`)
        .executeTakeFirstOrThrow();
      expect(Number(vectors.n)).toBe(30);
      const found = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query: "marker17" } })).body,
      );
      expect(found.memories[0]?.content.text).toBe("parallel memory number 17 marker17");
    });

    it("stores hostile and unicode-heavy content faithfully: NUL, lone surrogates, emoji, RTL", async () => {
      const agent = "m-unicode";
      const content = {
        text: "a\u0000b \ud800 🧠🚀 مرحبا שלום Ωμέγα",
        nested: { list: ["x", 1, true, null] },
      };
      const added = await server.call("POST", "/memory", { body: memory(agent, content) });
      expect(added.status).toBe(200);
      const read = MemoryResponse.parse(
        (
          await server.call(
            "GET",
            `/memory?agent_id=${agent}&limit=50&memory_id=${MemoryResponse.parse(added.body).memory.id}`,
          )
        ).body,
      );
      expect(read.memory.content).toEqual(JSON.parse(JSON.stringify(content)));
      const emoji = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, content_contains: "🧠🚀" } }))
          .body,
      );
      expect(emoji.total_count).toBe(1);
      const rtl = MemorySearchResponse.parse(
        (await server.call("POST", "/memory/search", { body: { agent_id: agent, query: "שלום" } })).body,
      );
      expect(rtl.memories).toHaveLength(1);
      const symbols = await server.call("POST", "/memory/search", {
        body: { agent_id: agent, query: '" OR 1=1 -- *) NEAR(' },
      });
      expect(symbols.status).toBe(200);
    });

    it("answers 413 to a body over the limit and counts vectors in the system metrics", async () => {
      const huge = await server.call("POST", "/memory", {
        raw: JSON.stringify(memory("m-big", { text: "x".repeat(1_100_000) })),
        headers: { "content-type": "application/json" },
      });
      expect(huge.status).toBe(413);
      const metrics = (await server.call("GET", "/metrics")).body as { vector_db_items: number };
      expect(metrics.vector_db_items).toBeGreaterThan(0);
    });

    it("keeps tenants apart and honours agent-limited keys", async () => {
      const added = MemoryResponse.parse(
        (await server.call("POST", "/memory", { body: memory("m-iso", { text: "tenant one private fact" }) }))
          .body,
      );
      const other = await insertApiKey(server, {
        tenant: "tenant-two",
        permissions: ["read", "write", "delete"],
      });
      const auth = { authorization: `Bearer ${other.key}` };
      expect(
        (
          await server.call("GET", `/memory?agent_id=m-iso&limit=50&memory_id=${added.memory.id}`, {
            headers: auth,
          })
        ).status,
      ).toBe(404);
      expect((await server.call("DELETE", `/memory/${added.memory.id}`, { headers: auth })).status).toBe(404);
      const search = MemorySearchResponse.parse(
        (
          await server.call("POST", "/memory/search", {
            body: { agent_id: "m-iso", query: "private fact" },
            headers: auth,
          })
        ).body,
      );
      expect(search.memories).toEqual([]);
      const limited = await insertApiKey(server, {
        permissions: ["memory:read", "memory:write", "memory:delete"],
      });
      await server.runtime.store.db
        .updateTable("api_keys")
        .set({ agent_ids: JSON.stringify(["m-allowed"]) })
        .where("id", "=", limited.id)
        .execute();
      const asLimited = { authorization: `Bearer ${limited.key}` };
      expect(
        (await server.call("POST", "/memory", { body: memory("m-allowed", { a: 1 }), headers: asLimited }))
          .status,
      ).toBe(200);
      expect(
        (await server.call("POST", "/memory", { body: memory("m-iso", { a: 1 }), headers: asLimited }))
          .status,
      ).toBe(403);
      expect(
        (
          await server.call("GET", `/memory?agent_id=m-iso&limit=50&memory_id=${added.memory.id}`, {
            headers: asLimited,
          })
        ).status,
      ).toBe(404);
      expect((await server.call("DELETE", `/memory/${added.memory.id}`, { headers: asLimited })).status).toBe(
        404,
      );
      expect((await server.call("POST", "/memory/consolidate/m-iso", { headers: asLimited })).status).toBe(
        403,
      );
      const readOnly = await insertApiKey(server, { permissions: ["memory:read"] });
      const denied = await server.call("POST", "/memory", {
        body: memory("m-iso", { a: 1 }),
        headers: { authorization: `Bearer ${readOnly.key}` },
      });
      expect(denied.status).toBe(403);
    });
  });
}
