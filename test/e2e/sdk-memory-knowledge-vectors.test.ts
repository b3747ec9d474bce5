import { NotFoundError, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `the SDK's memory, knowledge and vectors against a real runtime on ${target.name}`,
    () => {
      const server = useTestRuntime(target);
      const client = () => new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });

      it("stores, ranks, consolidates and forgets memories", async () => {
        const sdk = client();
        const { memory } = await sdk.memory.add({
          content: { text: "Carol's birthday is in May" },
          memory_type: "fact",
          memory_level: "long_term",
          agent_id: "sdk-mem",
        });
        await sdk.memory.add({
          content: { text: "The build server is called hopper" },
          memory_type: "fact",
          memory_level: "long_term",
          agent_id: "sdk-mem",
        });
        const ranked = await sdk.memory.search({ agent_id: "sdk-mem", query: "when is Carol's birthday" });
        expect(ranked.memories[0]?.id).toBe(memory.id);
        expect(
          (await sdk.memory.get({ agent_id: "sdk-mem", memory_id: memory.id })).memory.access_count,
        ).toBe(1);
        expect((await sdk.memory.list("sdk-mem")).total_count).toBe(2);
        expect((await sdk.memory.consolidate("sdk-mem")).success).toBe(true);
        await sdk.memory.delete(memory.id);
        await expect(sdk.memory.get({ agent_id: "sdk-mem", memory_id: memory.id })).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });

      it("adds knowledge and assembles RAG context with sources", async () => {
        const sdk = client();
        await sdk.knowledge.add({
          id: "sdk-k",
          content: "Symbiont stores vectors in the data directory.",
          metadata: { source: "notes.md", source_type: "document" },
        });
        const found = await sdk.knowledge.search({
          query: "where are vectors stored",
          similarity_threshold: 0.1,
        });
        expect(found.results[0]?.item.id).toBe("sdk-k");
        const context = await sdk.knowledge.context({ query: "where are vectors stored" });
        expect(context.sources).toContain("notes.md");
        expect(await sdk.knowledge.delete("sdk-k")).toEqual({ deleted: true, id: "sdk-k" });
      });

      it("manages collections and points, retrieving by repeated ids", async () => {
        const sdk = client();
        await sdk.vectors.createCollection({ name: "sdk-col", vector_size: 2 });
        expect(await sdk.vectors.listCollections()).toContain("sdk-col");
        await sdk.vectors.upsert({
          collection_name: "sdk-col",
          points: [
            { id: 1, vector: [1, 0], payload: { tag: "x" } },
            { id: "b", vector: [0, 1] },
          ],
        });
        expect(await sdk.vectors.count("sdk-col")).toBe(2);
        expect((await sdk.vectors.retrieve("sdk-col", [1, "b"])).map((p) => p.id)).toEqual([1, "b"]);
        const near = await sdk.vectors.search("sdk-col", { vector: [0.9, 0.1], limit: 1 });
        expect(near.results[0]).toMatchObject({ id: 1, payload: { tag: "x" } });
        await expect(
          sdk.vectors.upsert({ collection_name: "sdk-col", points: [{ id: 2, vector: [1, 2, 3] }] }),
        ).rejects.toBeInstanceOf(ValidationError);
        expect(await sdk.vectors.delete("sdk-col", [1])).toMatchObject({ deleted: 1 });
        expect((await sdk.vectors.collection("sdk-col")).points_count).toBe(1);
        await sdk.vectors.deleteCollection("sdk-col");
        await expect(sdk.vectors.collection("sdk-col")).rejects.toBeInstanceOf(NotFoundError);
      });
    },
  );
}
