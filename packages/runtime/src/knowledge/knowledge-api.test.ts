import { ContextResponse, KnowledgeAddedResponse, VectorSearchResponse } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

const item = (id: string, content: string, metadata: Record<string, unknown> = {}) => ({
  id,
  content,
  embedding: null,
  metadata: {
    source: `${id}.md`,
    source_type: "document",
    chunk_index: null,
    timestamp: "2024-01-15T10:30:00",
    agent_id: null,
    ...metadata,
  },
});

const search = (query: string, extra: Record<string, unknown> = {}) => ({
  query,
  agent_id: null,
  source_types: [],
  limit: 10,
  similarity_threshold: 0.7,
  ...extra,
});

const longDocument = [
  "# Installation",
  "Install the runtime with npm and start it with symbiont up. ".repeat(20),
  "# Configuration",
  "The data directory holds the SQLite database and the vector index files. ".repeat(20),
  "# Rate limits",
  "Each credential has a read budget and a write budget per minute, shared through Redis. ".repeat(20),
].join("\n\n");

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`knowledge API on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("finds identical text with similarity >= 0.99 and echoes the query", async () => {
      const text = "Symbiont agents remember through hierarchical memory.";
      const added = await server.call("POST", "/knowledge", { body: item("doc-001", text) });
      expect(KnowledgeAddedResponse.parse(added.body)).toMatchObject({
        id: "doc-001",
        status: "added",
        chunks: 1,
      });
      const found = VectorSearchResponse.parse(
        (await server.call("POST", "/knowledge/search", { body: search(text) })).body,
      );
      expect(found.query).toBe(text);
      expect(found.results[0]?.item).toMatchObject({ id: "doc-001", content: text, embedding: null });
      expect(found.results[0]?.similarity_score).toBeGreaterThanOrEqual(0.99);
      expect(found.results[0]?.item.metadata.timestamp).toBe("2024-01-15T10:30:00.000Z");
      expect(found.total_results).toBe(1);
    });

    it("applies the threshold, agent and source-type filters", async () => {
      await server.call("POST", "/knowledge", {
        body: item("code-1", "function parseConfig(text) returns a Config", {
          source_type: "code",
          agent_id: "k-agent",
        }),
      });
      await server.call("POST", "/knowledge", {
        body: item("doc-2", "parseConfig reads the configuration file", { agent_id: "other" }),
      });
      const loose = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("parseConfig", { similarity_threshold: 0 }),
          })
        ).body,
      );
      expect(loose.results.map((r) => r.item.id)).toEqual(expect.arrayContaining(["code-1", "doc-2"]));
      const byAgent = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("parseConfig", { similarity_threshold: 0, agent_id: "k-agent" }),
          })
        ).body,
      );
      expect(byAgent.results.map((r) => r.item.id)).toEqual(["code-1"]);
      const byType = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("parseConfig", { similarity_threshold: 0, source_types: ["document"] }),
          })
        ).body,
      );
      expect(byType.results.map((r) => r.item.id)).toContain("doc-2");
      expect(byType.results.map((r) => r.item.id)).not.toContain("code-1");
      const strict = VectorSearchResponse.parse(
        (await server.call("POST", "/knowledge/search", { body: search("parseConfig") })).body,
      );
      for (const result of strict.results) expect(result.similarity_score).toBeGreaterThanOrEqual(0.7);
    });

    it("chunks long documents by structure, re-ingesting replaces the chunks, and RAG context stays in budget", async () => {
      const added = KnowledgeAddedResponse.parse(
        (await server.call("POST", "/knowledge", { body: item("manual", longDocument) })).body,
      );
      expect(added.chunks).toBeGreaterThan(2);
      const hit = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("how are rate limits shared across nodes", { similarity_threshold: 0 }),
          })
        ).body,
      );
      expect(hit.results[0]?.item.id).toBe("manual");
      expect(hit.results[0]?.item.content).toContain("Redis");
      expect(hit.results[0]?.item.metadata.chunk_index).toBeGreaterThan(0);

      const context = ContextResponse.parse(
        (
          await server.call("POST", "/rag/context", {
            body: {
              query: "vector index files",
              agent_id: null,
              max_context_items: 3,
              include_conversation_history: true,
            },
          })
        ).body,
      );
      expect(context.context_items.length).toBe(context.sources.length);
      expect(context.relevance_scores.length).toBe(context.sources.length);
      expect(context.context_items[0]).toContain("vector index");
      expect(context.sources[0]).toBe("manual.md");
      const small = ContextResponse.parse(
        (
          await server.call("POST", "/rag/context", {
            body: { query: "vector index files", max_context_items: 5, max_tokens: 400 },
          })
        ).body,
      );
      expect(small.token_count).toBeLessThanOrEqual(400);

      const replaced = KnowledgeAddedResponse.parse(
        (
          await server.call("POST", "/knowledge", {
            body: item("manual", "A short replacement about llamas."),
          })
        ).body,
      );
      expect(replaced).toMatchObject({ status: "updated", chunks: 1 });
      const gone = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("Redis rate limits", { similarity_threshold: 0 }),
          })
        ).body,
      );
      const manual = gone.results.find((r) => r.item.id === "manual");
      expect(manual?.item.content).toBe("A short replacement about llamas.");
    });

    it("deletes an item with all its chunks; a second delete is 404", async () => {
      await server.call("POST", "/knowledge", { body: item("temp", "temporary knowledge about walruses") });
      expect((await server.call("DELETE", "/knowledge/temp")).body).toEqual({ deleted: true, id: "temp" });
      const after = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("walruses", { similarity_threshold: 0 }),
          })
        ).body,
      );
      expect(after.results.map((r) => r.item.id)).not.toContain("temp");
      expect((await server.call("DELETE", "/knowledge/temp")).status).toBe(404);
    });

    it("rejects bad items naming the field; another tenant sees nothing", async () => {
      const bad = await server.call("POST", "/knowledge", {
        body: { ...item("bad id/x", "x"), metadata: { source: "", source_type: "book" } },
      });
      expect(bad.status).toBe(400);
      const fields = (bad.body as { details: { issues: { field: string }[] } }).details.issues.map(
        (i) => i.field,
      );
      expect(fields).toEqual(
        expect.arrayContaining(["body.id", "body.metadata.source", "body.metadata.source_type"]),
      );
      const other = await insertApiKey(server, { tenant: "k-two", permissions: ["admin"] });
      const auth = { authorization: `Bearer ${other.key}` };
      const none = VectorSearchResponse.parse(
        (
          await server.call("POST", "/knowledge/search", {
            body: search("Symbiont agents remember", { similarity_threshold: 0 }),
            headers: auth,
          })
        ).body,
      );
      expect(none.results).toEqual([]);
      expect((await server.call("DELETE", "/knowledge/doc-001", { headers: auth })).status).toBe(404);
    });
  });
}
