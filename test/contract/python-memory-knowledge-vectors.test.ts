import { describe, expect, it } from "vitest";
import { z } from "zod";
import { databaseTargets } from "../support/databases.js";
import { pythonCall } from "../support/python-call.js";
import { useTestRuntime } from "../support/runtime.js";

// The client's models (§4.2), written from the contract: REQ fields non-null, defaulted ones never null.
const datetime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "RFC 3339 datetime");
const int = z.number().int();
const obj = z.record(z.string(), z.unknown());
const MemoryNode = z.object({
  id: z.string(),
  content: obj,
  memory_type: z.string(),
  memory_level: z.string(),
  timestamp: datetime,
  agent_id: z.string(),
  conversation_id: z.string().nullish(),
  parent_id: z.string().nullish(),
  last_accessed: datetime.nullish(),
  children_ids: z.array(z.string()).optional(),
  importance_score: z.number().optional(),
  access_count: int.optional(),
  metadata: obj.optional(),
});
const MemoryResponse = z.object({
  memory: MemoryNode,
  success: z.boolean().optional(),
  message: z.string().nullish(),
});
const MemorySearchResponse = z.object({
  memories: z.array(MemoryNode),
  total_count: int,
  search_time_ms: z.number(),
  success: z.boolean().optional(),
});
const ConversationContext = z.object({
  conversation_id: z.string(),
  agent_id: z.string(),
  memories: z.array(MemoryNode),
  context_summary: z.string().nullish(),
  created_at: datetime.optional(),
  updated_at: datetime.optional(),
  metadata: obj.optional(),
});
const ConsolidationResponse = z.object({
  agent_id: z.string(),
  promoted_count: int.optional(),
  pruned_count: int.optional(),
  consolidated_count: int.optional(),
  execution_time_ms: z.number(),
});
const KnowledgeItemOut = z.object({
  id: z.string(),
  content: z.string(),
  embedding: z.array(z.number()).nullish(),
  metadata: z.object({
    source: z.string(),
    source_type: z.enum(["document", "code", "api_reference", "conversation"]),
    chunk_index: int.nullish(),
    timestamp: datetime,
    agent_id: z.string().nullish(),
  }),
});
const VectorSearchResponse = z.object({
  results: z.array(z.object({ item: KnowledgeItemOut, similarity_score: z.number() })),
  query: z.string(),
  total_results: int,
});
const ContextResponse = z.object({
  context_items: z.array(z.string()),
  sources: z.array(z.string()),
  query: z.string(),
  relevance_scores: z.array(z.number()),
});
const CollectionResponse = z.object({
  collection_name: z.string(),
  status: z.string(),
  result: obj.nullish(),
});
const CollectionInfo = z.object({
  collection_name: z.string(),
  config: obj,
  status: z.string(),
  vectors_count: int,
  indexed_vectors_count: int,
  points_count: int,
});
const UpsertResponse = z.object({
  collection_name: z.string(),
  operation_id: z.string().nullish(),
  status: z.string(),
  points_count: int,
});

// Request bodies exactly as the client builds them: every field, unset optionals as null.
const storeRequest = (
  agent: string,
  content: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  content,
  memory_type: "fact",
  memory_level: "short_term",
  agent_id: agent,
  conversation_id: null,
  importance_score: 0.0,
  parent_id: null,
  metadata: {},
  ...extra,
});
const searchRequest = (query: string, extra: Record<string, unknown> = {}) => ({
  query,
  agent_id: null,
  source_types: [],
  limit: 10,
  similarity_threshold: 0.7,
  ...extra,
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `the v1 memory, knowledge and vector contract as the Python 0.3.x client uses it, on ${target.name}`,
    () => {
      const server = useTestRuntime(target);
      const call = (method: string, path: string, body?: unknown) =>
        pythonCall(server.api, method, path, body);

      it("add_memory, get_memory (one memory), search_memory, list_agent_memories, delete_memory", async () => {
        const added = MemoryResponse.parse(
          (
            await call(
              "POST",
              "/memory",
              storeRequest("py-mem", { text: "likes jazz" }, { conversation_id: "c-9" }),
            )
          ).json(),
        );
        expect(added.memory.importance_score).toBe(0);
        const one = await call("GET", `/memory?agent_id=py-mem&limit=50&memory_id=${added.memory.id}`);
        expect(MemoryResponse.parse(one.json()).memory.id).toBe(added.memory.id);
        const newest = MemoryResponse.parse(
          (await call("GET", "/memory?agent_id=py-mem&limit=50&conversation_id=c-9&memory_type=fact")).json(),
        );
        expect(newest.memory.content).toEqual({ text: "likes jazz" });
        const searched = MemorySearchResponse.parse(
          (
            await call("POST", "/memory/search", {
              agent_id: "py-mem",
              query: { memory_type: "fact" },
              memory_levels: ["short_term"],
              content_contains: "JAZZ",
              importance_threshold: null,
              time_range: null,
              limit: 50,
            })
          ).json(),
        );
        expect(searched.total_count).toBe(1);
        const ranged = MemorySearchResponse.parse(
          (
            await call("POST", "/memory/search", {
              agent_id: "py-mem",
              query: null,
              memory_levels: null,
              content_contains: null,
              importance_threshold: null,
              time_range: { start: "2000-01-01T00:00:00", end: "2999-01-01T00:00:00Z" },
              limit: 50,
            })
          ).json(),
        );
        expect(ranged.total_count).toBe(1);
        const listed = MemorySearchResponse.parse(
          (await call("GET", "/memory/agent?agent_id=py-mem&limit=100")).json(),
        );
        expect(listed.memories.map((m) => m.id)).toEqual([added.memory.id]);
        const context = ConversationContext.parse(
          (await call("GET", "/memory/conversation?conversation_id=c-9&agent_id=py-mem")).json(),
        );
        expect(context.memories).toHaveLength(1);
        expect(
          ConversationContext.parse(
            (await call("GET", "/memory/conversation?conversation_id=zzz&agent_id=py-mem")).json(),
          ).memories,
        ).toEqual([]);
        expect((await call("DELETE", `/memory/${added.memory.id}`)).json()).toMatchObject({
          deleted: true,
          memory_id: added.memory.id,
        });
        expect(
          (await call("GET", `/memory?agent_id=py-mem&limit=50&memory_id=${added.memory.id}`)).status,
        ).toBe(404);
      });

      it("consolidate_memory is a bodyless POST; an unknown agent answers 200 with zero counts", async () => {
        const response = await call("POST", "/memory/consolidate/py-unknown");
        expect(response.status).toBe(200);
        expect(ConsolidationResponse.parse(response.json())).toMatchObject({
          agent_id: "py-unknown",
          pruned_count: 0,
          promoted_count: 0,
          consolidated_count: 0,
        });
      });

      it("add_knowledge_item, search_knowledge (identical text >= 0.99), get_context, delete_knowledge_item", async () => {
        const text = "The Python client sends every field of its models.";
        const item = {
          id: "py-k1",
          content: text,
          embedding: null,
          metadata: {
            source: "guide.md",
            source_type: "document",
            chunk_index: null,
            timestamp: "2024-01-15T10:30:00Z",
            agent_id: null,
          },
        };
        const added = await call("POST", "/knowledge", item);
        expect(added.status).toBe(200);
        expect(added.json()).toMatchObject({ id: "py-k1", status: "added" });
        const found = VectorSearchResponse.parse(
          (await call("POST", "/knowledge/search", searchRequest(text))).json(),
        );
        expect(found.results[0]?.item.id).toBe("py-k1");
        expect(found.results[0]?.similarity_score).toBeGreaterThanOrEqual(0.99);
        const context = ContextResponse.parse(
          (
            await call("POST", "/rag/context", {
              query: text,
              agent_id: null,
              max_context_items: 5,
              include_conversation_history: true,
            })
          ).json(),
        );
        expect(context.sources[0]).toBe("guide.md");
        expect(context.context_items.length).toBe(context.relevance_scores.length);
        // A client embedding of another size is not comparable with the query side: the runtime embeds instead.
        const ownEmbedding = await call("POST", "/knowledge", {
          ...item,
          id: "py-k2",
          embedding: [0.1, 0.2, 0.3],
        });
        expect(ownEmbedding.status).toBe(200);
        expect((await call("DELETE", "/knowledge/py-k1")).json()).toMatchObject({
          deleted: true,
          id: "py-k1",
        });
        expect((await call("DELETE", "/knowledge/py-k1")).status).toBe(404);
      });

      it("vector collections: bare name list, info, upsert, repeated-id retrieve, text search, DELETE with a body, count", async () => {
        const created = CollectionResponse.parse(
          (
            await call("POST", "/vectors/collections", {
              name: "py-col",
              vector_size: 4,
              distance: "Cosine",
              on_disk_payload: false,
              hnsw_config: null,
              optimizers_config: null,
            })
          ).json(),
        );
        expect(created.status).toBe("created");
        expect(
          (
            await call("POST", "/vectors/collections", {
              name: "py-col",
              vector_size: 4,
              distance: "Cosine",
              on_disk_payload: false,
              hnsw_config: null,
              optimizers_config: null,
            })
          ).status,
        ).toBe(409);
        expect(z.array(z.string()).parse((await call("GET", "/vectors/collections")).json())).toContain(
          "py-col",
        );
        const upsert = UpsertResponse.parse(
          (
            await call("POST", "/vectors/upsert", {
              collection_name: "py-col",
              points: [
                {
                  id: "doc-001",
                  vector: [0.1, 0.2, 0.3, 0.4],
                  payload: { content: "quantum computing basics" },
                },
                { id: 1002, vector: [0.4, 0.3, 0.2, 0.1], payload: { title: "gardening tips" } },
              ],
              wait: true,
            })
          ).json(),
        );
        expect(upsert.points_count).toBe(2);
        expect(typeof (upsert.operation_id ?? "")).toBe("string");
        const info = CollectionInfo.parse((await call("GET", "/vectors/collections/py-col")).json());
        expect(info).toMatchObject({ points_count: 2, vectors_count: 2 });
        const retrieved = z
          .array(z.object({ id: z.union([z.string(), int]), vector: z.array(z.number()), payload: obj }))
          .parse((await call("GET", "/vectors/retrieve?collection_name=py-col&ids=doc-001&ids=1002")).json());
        expect(retrieved.map((p) => p.id)).toEqual(["doc-001", 1002]);
        expect((await call("GET", "/vectors/retrieve?collection_name=py-col")).json()).toEqual([]);
        const text = VectorSearchResponse.parse(
          (await call("POST", "/vectors/search", searchRequest("quantum computing basics"))).json(),
        );
        expect(text.results[0]?.item).toMatchObject({
          id: "doc-001",
          content: "quantum computing basics",
          embedding: null,
          metadata: { source: "py-col", source_type: "document" },
        });
        expect(text.query).toBe("quantum computing basics");
        const wrong = await call("POST", "/vectors/upsert", {
          collection_name: "py-col",
          points: [{ id: 3, vector: [1, 2], payload: {} }],
          wait: true,
        });
        expect(wrong.status).toBe(400);
        expect(
          (
            await call("POST", "/vectors/upsert", {
              collection_name: "py-nope",
              points: [{ id: 3, vector: [1], payload: {} }],
              wait: true,
            })
          ).status,
        ).toBe(404);
        expect(
          (
            await call("DELETE", "/vectors/delete", { collection_name: "py-col", ids: ["doc-001", 1002] })
          ).json(),
        ).toMatchObject({ deleted: 2 });
        expect((await call("GET", "/vectors/collections/py-col/count")).json()).toMatchObject({ count: 0 });
        expect((await call("DELETE", "/vectors/collections/py-col")).json()).toMatchObject({
          deleted: true,
          collection_name: "py-col",
        });
        expect((await call("GET", "/vectors/collections/py-col")).status).toBe(404);
      });
    },
  );
}
