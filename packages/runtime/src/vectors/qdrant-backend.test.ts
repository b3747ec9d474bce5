import {
  CollectionSearchResponse,
  MemoryResponse,
  MemorySearchResponse,
  VectorSearchResponse,
} from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { qdrantServer } from "../../../../test/support/qdrant-server.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `the runtime with vectors in Qdrant (local Qdrant-speaking server), on ${target.name}`,
    () => {
      const qdrant = qdrantServer();
      let database: FreshDatabase;
      let server: TestRuntime;
      beforeAll(async () => {
        const url = await qdrant.start();
        database = await target.create();
        server = await startTestRuntime(database, { qdrantUrl: url });
      });
      afterAll(async () => {
        await server?.close();
        await database?.dispose();
        await qdrant.close();
      });

      const memory = (agent: string, text: string) => ({
        content: { text },
        memory_type: "fact",
        memory_level: "long_term",
        agent_id: agent,
      });

      it("keeps memories' vectors in Qdrant, with payload indexes, and forgets them there too", async () => {
        const added = MemoryResponse.parse(
          (
            await server.call("POST", "/memory", {
              body: memory("q-agent", "the lighthouse keeper feeds the gulls"),
            })
          ).body,
        );
        await server.call("POST", "/memory", { body: memory("q-agent", "tax returns are due in April") });
        const collection = qdrant.collections.get("symbiont_cosine_384");
        expect(collection?.indexes).toEqual(new Set(["tenant_id", "space"]));
        expect(collection?.points.size).toBe(2);
        const found = MemorySearchResponse.parse(
          (
            await server.call("POST", "/memory/search", {
              body: { agent_id: "q-agent", query: "who feeds the gulls" },
            })
          ).body,
        );
        expect(found.memories[0]?.id).toBe(added.memory.id);
        expect(qdrant.requests.some((r) => r.path === "/collections/symbiont_cosine_384/points/search")).toBe(
          true,
        );
        await server.call("DELETE", `/memory/${added.memory.id}`);
        expect(collection?.points.size).toBe(1);
      });

      it("searches collections through Qdrant with the collection's distance, filters, and tenant separation", async () => {
        await server.call("POST", "/vectors/collections", {
          body: { name: "qc", vector_size: 2, distance: "Euclidean" },
        });
        await server.call("POST", "/vectors/upsert", {
          body: {
            collection_name: "qc",
            points: [
              { id: 1, vector: [0, 0], payload: { k: "a" } },
              { id: 2, vector: [3, 4], payload: { k: "b" } },
            ],
          },
        });
        const near = CollectionSearchResponse.parse(
          (
            await server.call("POST", "/vectors/collections/qc/search", {
              body: { vector: [0, 0], limit: 2 },
            })
          ).body,
        );
        expect(near.results.map((r) => [r.id, r.score])).toEqual([
          [1, 0],
          [2, 5],
        ]);
        expect(qdrant.collections.get("symbiont_euclidean_2")?.points.size).toBe(2);
        const filtered = CollectionSearchResponse.parse(
          (
            await server.call("POST", "/vectors/collections/qc/search", {
              body: { vector: [0, 0], limit: 1, filter: { k: "b" } },
            })
          ).body,
        );
        expect(filtered.results.map((r) => r.id)).toEqual([2]);

        const other = await insertApiKey(server, { tenant: "q-two", permissions: ["admin"] });
        const auth = { authorization: `Bearer ${other.key}` };
        await server.call("POST", "/vectors/collections", {
          body: { name: "qc", vector_size: 2, distance: "Euclidean" },
          headers: auth,
        });
        await server.call("POST", "/vectors/upsert", {
          body: { collection_name: "qc", points: [{ id: 9, vector: [0, 0] }] },
          headers: auth,
        });
        const theirs = CollectionSearchResponse.parse(
          (
            await server.call("POST", "/vectors/collections/qc/search", {
              body: { vector: [0, 0], limit: 10 },
              headers: auth,
            })
          ).body,
        );
        expect(theirs.results.map((r) => r.id)).toEqual([9]);
        const searches = qdrant.requests.filter((r) => r.path.endsWith("/points/search"));
        expect(searches.every((r) => JSON.stringify(r.body).includes('"key":"tenant_id"'))).toBe(true);

        await server.call("DELETE", "/vectors/collections/qc");
        expect(qdrant.collections.get("symbiont_euclidean_2")?.points.size).toBe(1);
      });

      it("finds knowledge through Qdrant (identical text >= 0.99)", async () => {
        const text = "Qdrant-backed knowledge finds identical text.";
        await server.call("POST", "/knowledge", {
          body: { id: "qk", content: text, metadata: { source: "q.md", source_type: "document" } },
        });
        const found = VectorSearchResponse.parse(
          (await server.call("POST", "/knowledge/search", { body: { query: text } })).body,
        );
        expect(found.results[0]?.similarity_score).toBeGreaterThanOrEqual(0.99);
      });

      it("answers 503 naming Qdrant when it fails, and writes nothing to the database", async () => {
        qdrant.fail(true);
        const failed = await server.call("POST", "/memory", { body: memory("q-fail", "never stored") });
        qdrant.fail(false);
        expect(failed.status).toBe(503);
        expect(failed.body).toMatchObject({ code: "UNAVAILABLE", error: expect.stringContaining("Qdrant") });
        const listed = MemorySearchResponse.parse(
          (await server.call("GET", "/memory/agent?agent_id=q-fail&limit=10")).body,
        );
        expect(listed.total_count).toBe(0);
      });
    },
  );
}
