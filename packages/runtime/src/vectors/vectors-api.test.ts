import {
  CollectionInfo,
  CollectionSearchResponse,
  RetrievedPointList,
  UpsertResponse,
  VectorSearchResponse,
} from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

const collection = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  vector_size: 3,
  distance: "Cosine",
  on_disk_payload: false,
  hnsw_config: null,
  optimizers_config: null,
  ...extra,
});

type Issues = { details: { issues: { field: string }[] } };
const fieldsOf = (body: unknown) => (body as Issues).details.issues.map((i) => i.field);

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`vectors API on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("creates, lists, describes, counts and deletes collections", async () => {
      expect(
        (await server.call("POST", "/vectors/collections", { body: collection("docs") })).body,
      ).toMatchObject({ collection_name: "docs", status: "created" });
      expect((await server.call("POST", "/vectors/collections", { body: collection("docs") })).status).toBe(
        409,
      );
      expect((await server.call("GET", "/vectors/collections")).body).toEqual(["docs"]);
      const info = CollectionInfo.parse((await server.call("GET", "/vectors/collections/docs")).body);
      expect(info).toMatchObject({
        config: { vector_size: 3, distance: "Cosine" },
        status: "green",
        points_count: 0,
      });
      expect((await server.call("GET", "/vectors/collections/docs/count")).body).toMatchObject({ count: 0 });
      expect((await server.call("GET", "/vectors/collections/missing")).status).toBe(404);
    });

    it("upserts, retrieves by repeated ids (original id types), searches and deletes points", async () => {
      await server.call("POST", "/vectors/collections", { body: collection("pts") });
      const upsert = await server.call("POST", "/vectors/upsert", {
        body: {
          collection_name: "pts",
          wait: true,
          points: [
            {
              id: "doc-001",
              vector: [1, 0, 0],
              payload: { content: "apples are red fruit", source_type: "document" },
            },
            { id: 1002, vector: [0, 1, 0], payload: { text: "bananas are yellow", agent_id: "fruit-bot" } },
            { id: "p3", vector: [0.9, 0.1, 0], payload: { kind: "near" } },
          ],
        },
      });
      expect(UpsertResponse.parse(upsert.body)).toMatchObject({ status: "completed", points_count: 3 });
      const retrieved = RetrievedPointList.parse(
        (await server.call("GET", "/vectors/retrieve?collection_name=pts&ids=doc-001&ids=1002&ids=nope"))
          .body,
      );
      expect(retrieved.map((p) => p.id)).toEqual(["doc-001", 1002]);
      expect(retrieved[0]?.payload).toEqual({ content: "apples are red fruit", source_type: "document" });
      expect(retrieved[0]?.vector).toEqual([1, 0, 0]);
      expect((await server.call("GET", "/vectors/retrieve?collection_name=pts")).body).toEqual([]);
      expect((await server.call("GET", "/vectors/retrieve?collection_name=pts&ids=p3")).body).toHaveLength(1);

      const near = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/pts/search", {
            body: { vector: [1, 0.05, 0], limit: 2 },
          })
        ).body,
      );
      expect(near.results.map((r) => r.id)).toEqual(["doc-001", "p3"]);
      const filtered = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/pts/search", {
            body: { vector: [1, 0, 0], limit: 5, filter: { agent_id: "fruit-bot" } },
          })
        ).body,
      );
      expect(filtered.results.map((r) => r.id)).toEqual([1002]);

      const text = VectorSearchResponse.parse(
        (
          await server.call("POST", "/vectors/search", {
            body: {
              query: "red apples",
              agent_id: null,
              source_types: [],
              limit: 10,
              similarity_threshold: 0.1,
            },
          })
        ).body,
      );
      expect(text.results[0]?.item).toMatchObject({
        id: "doc-001",
        content: "apples are red fruit",
        metadata: { source: "pts", source_type: "document", agent_id: null },
      });
      const byAgent = VectorSearchResponse.parse(
        (
          await server.call("POST", "/vectors/search", {
            body: { query: "bananas", agent_id: "fruit-bot", similarity_threshold: 0 },
          })
        ).body,
      );
      expect(byAgent.results.map((r) => r.item.id)).toEqual(["1002"]);

      const deleted = await server.call("DELETE", "/vectors/delete", {
        body: { collection_name: "pts", ids: ["doc-001", 1002, "absent"] },
      });
      expect(deleted.body).toEqual({ deleted: 2, collection_name: "pts" });
      expect((await server.call("GET", "/vectors/collections/pts/count")).body).toMatchObject({ count: 1 });
      const after = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/pts/search", {
            body: { vector: [1, 0, 0], limit: 5 },
          })
        ).body,
      );
      expect(after.results.map((r) => r.id)).toEqual(["p3"]);
    });

    it("refuses a wrong dimension, non-finite numbers and unknown collections without writing anything", async () => {
      await server.call("POST", "/vectors/collections", { body: collection("strict") });
      const wrong = await server.call("POST", "/vectors/upsert", {
        body: {
          collection_name: "strict",
          points: [
            { id: 1, vector: [1, 2, 3] },
            { id: 2, vector: [1, 2] },
          ],
        },
      });
      expect(wrong.status).toBe(400);
      expect(fieldsOf(wrong.body)).toEqual(["body.points.1.vector"]);
      const infinite = await server.call("POST", "/vectors/upsert", {
        raw: '{"collection_name":"strict","points":[{"id":1,"vector":[1e400,0,0]}]}',
        headers: { "content-type": "application/json" },
      });
      expect(infinite.status).toBe(400);
      const nan = await server.call("POST", "/vectors/upsert", {
        raw: '{"collection_name":"strict","points":[{"id":1,"vector":[NaN,0,0]}]}',
        headers: { "content-type": "application/json" },
      });
      expect(nan.status).toBe(400);
      expect((await server.call("GET", "/vectors/collections/strict/count")).body).toMatchObject({
        count: 0,
      });
      expect(
        (
          await server.call("POST", "/vectors/upsert", {
            body: { collection_name: "nope", points: [{ id: 1, vector: [1] }] },
          })
        ).status,
      ).toBe(404);
      const badName = await server.call("POST", "/vectors/collections", { body: collection("a/b") });
      expect(badName.status).toBe(400);
      const badSearch = await server.call("POST", "/vectors/collections/strict/search", {
        body: { vector: [1, 2] },
      });
      expect(fieldsOf(badSearch.body)).toEqual(["body.vector"]);
    });

    it("keeps memory and the database in step under concurrent upserts of the same ids", async () => {
      await server.call("POST", "/vectors/collections", { body: collection("race") });
      const versions = Array.from({ length: 12 }, (_, i) => [Math.cos(i / 3), Math.sin(i / 3), i / 12]);
      const answers = await Promise.all(
        versions.map((vector) =>
          server.call("POST", "/vectors/upsert", {
            body: {
              collection_name: "race",
              points: [
                { id: "same", vector },
                { id: "other", vector: [0, 0, 1] },
              ],
            },
          }),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect((await server.call("GET", "/vectors/collections/race/count")).body).toMatchObject({ count: 2 });
      const [stored] = RetrievedPointList.parse(
        (await server.call("GET", "/vectors/retrieve?collection_name=race&ids=same")).body,
      );
      const near = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/race/search", {
            body: { vector: stored?.vector, limit: 5 },
          })
        ).body,
      );
      expect(near.results.map((r) => r.id)).toEqual(["same", "other"]);
      expect(near.results[0]?.score).toBeCloseTo(1, 5);
    });

    it("never returns another tenant's points", async () => {
      await server.call("POST", "/vectors/collections", { body: collection("shared-name") });
      await server.call("POST", "/vectors/upsert", {
        body: {
          collection_name: "shared-name",
          points: [{ id: "mine", vector: [1, 0, 0], payload: { content: "tenant one secret" } }],
        },
      });
      const other = await insertApiKey(server, { tenant: "v-two", permissions: ["admin"] });
      const auth = { authorization: `Bearer ${other.key}` };
      expect((await server.call("GET", "/vectors/collections", { headers: auth })).body).toEqual([]);
      expect((await server.call("GET", "/vectors/collections/shared-name", { headers: auth })).status).toBe(
        404,
      );
      await server.call("POST", "/vectors/collections", { body: collection("shared-name"), headers: auth });
      await server.call("POST", "/vectors/upsert", {
        body: { collection_name: "shared-name", points: [{ id: "theirs", vector: [1, 0, 0] }] },
        headers: auth,
      });
      const theirs = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/shared-name/search", {
            body: { vector: [1, 0, 0], limit: 10 },
            headers: auth,
          })
        ).body,
      );
      expect(theirs.results.map((r) => r.id)).toEqual(["theirs"]);
      expect(
        (
          await server.call("GET", "/vectors/retrieve?collection_name=shared-name&ids=mine", {
            headers: auth,
          })
        ).body,
      ).toEqual([]);
      const text = VectorSearchResponse.parse(
        (
          await server.call("POST", "/vectors/search", {
            body: { query: "tenant one secret", similarity_threshold: 0 },
            headers: auth,
          })
        ).body,
      );
      expect(text.results).toEqual([]);
    });

    it("supports named vectors and Euclidean distance", async () => {
      await server.call("POST", "/vectors/collections", {
        body: collection("multi", { distance: "Euclidean", vector_size: 2 }),
      });
      await server.call("POST", "/vectors/upsert", {
        body: {
          collection_name: "multi",
          points: [
            { id: 1, vector: { image: [0, 0], text: [5, 5] } },
            { id: 2, vector: { image: [3, 4], text: [0, 0] } },
          ],
        },
      });
      const byImage = CollectionSearchResponse.parse(
        (
          await server.call("POST", "/vectors/collections/multi/search", {
            body: { vector: [0, 0], using: "image", limit: 2 },
          })
        ).body,
      );
      expect(byImage.results.map((r) => [r.id, r.score])).toEqual([
        [1, 0],
        [2, 5],
      ]);
      const retrieved = RetrievedPointList.parse(
        (await server.call("GET", "/vectors/retrieve?collection_name=multi&ids=2")).body,
      );
      expect(retrieved[0]?.vector).toEqual({ image: [3, 4], text: [0, 0] });
      expect((await server.call("DELETE", "/vectors/collections/multi")).body).toEqual({
        deleted: true,
        collection_name: "multi",
      });
      expect((await server.call("GET", "/vectors/collections/multi")).status).toBe(404);
    });
  });
}
