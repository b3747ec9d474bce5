import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../../test/support/databases.js";
import { openStore, type Store } from "../store/database.js";
import { migrateToLatest } from "../store/migrate.js";
import { EmbeddedVectorStore } from "./embedded-vector-store.js";
import { dot, normalize } from "./vector-codec.js";

const DIMS = 16;

/** Deterministic pseudo-random unit vectors (mulberry32), so failures reproduce. */
function randomVectors(count: number, seed: number): Float32Array[] {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => normalize(Float32Array.from({ length: DIMS }, next)));
}

const space = { dimensions: DIMS, distance: "cosine" as const, embedder: "test" };

describe("the embedded vector store", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function open(
    dataDir = tempDir(),
  ): Promise<{ store: Store; vectors: EmbeddedVectorStore; dataDir: string }> {
    const store = await openStore({ dataDir });
    await migrateToLatest(store.db, store.dialect);
    const vectors = new EmbeddedVectorStore(store, join(dataDir, "vector-index"), {
      exactLimit: 50,
      connectivity: 16,
      expansionAdd: 64,
      expansionSearch: 64,
    });
    cleanups.push(async () => {
      vectors.close();
      await store.close();
    });
    return { store, vectors, dataDir };
  }

  async function fill(
    vectors: EmbeddedVectorStore,
    tenant: string,
    name: string,
    data: Float32Array[],
    prefix: string,
  ) {
    await vectors.write(tenant, [name], async (_trx, writes) => {
      await writes.ensureSpace(name, space);
      await writes.put(
        name,
        data.map((vector, i) => ({ id: `${prefix}${i}`, vector })),
      );
    });
  }

  it("answers through the HNSW graph once a space outgrows exact search, close to exact, and only with the tenant's own points", async () => {
    const { vectors, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const mine = randomVectors(400, 1);
    await fill(vectors, "tenant-a", "s", mine, "a");
    await fill(vectors, "tenant-b", "s", randomVectors(400, 2), "b");
    let overlap = 0;
    for (const query of randomVectors(20, 3)) {
      const { hits, exact } = await vectors.search("tenant-a", "s", query, 10);
      expect(exact).toBe(false);
      expect(hits.every((hit) => hit.id.startsWith("a"))).toBe(true);
      const truth = mine
        .map((vector, i) => ({ id: `a${i}`, score: dot(query, vector) }))
        .sort((x, y) => y.score - x.score)
        .slice(0, 10)
        .map((hit) => hit.id);
      overlap += hits.filter((hit) => truth.includes(hit.id)).length;
    }
    expect(overlap / 200).toBeGreaterThanOrEqual(0.9);
  });

  it("falls back to exact search when a selective filter leaves too few approximate hits", async () => {
    const { vectors, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await fill(vectors, "t", "s", randomVectors(300, 4), "p");
    const wanted = new Set(["p7", "p150", "p299"]);
    const { hits, exact } = await vectors.search("t", "s", randomVectors(1, 5)[0] as Float32Array, 5, {
      accept: (id) => wanted.has(id),
      candidates: async () => [...wanted],
    });
    expect(exact).toBe(true);
    expect(new Set(hits.map((h) => h.id))).toEqual(wanted);
  });

  it("saves graphs in the data directory, reuses them while the database matches, rebuilds when it does not", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const data = randomVectors(200, 6);
    const first = await open(dataDir);
    await fill(first.vectors, "t", "s", data, "p");
    await first.vectors.search("t", "s", data[0] as Float32Array, 1);
    first.vectors.close();
    expect(readdirSync(join(dataDir, "vector-index")).some((f) => f.endsWith(".usearch"))).toBe(true);

    const second = new EmbeddedVectorStore(first.store, join(dataDir, "vector-index"), { exactLimit: 50 });
    const found = await second.search("t", "s", data[42] as Float32Array, 1);
    expect(found.hits[0]?.id).toBe("p42");
    expect(second.stats).toMatchObject({ graphsLoaded: 1, graphsBuilt: 0 });

    // Another writer (another process) changes the rows behind the saved graph's back.
    const writer = new EmbeddedVectorStore(first.store, undefined, { exactLimit: 50 });
    const extra = randomVectors(1, 7)[0] as Float32Array;
    await writer.write("t", ["s"], async (_trx, writes) => {
      await writes.ensureSpace("s", space);
      await writes.put("s", [{ id: "late", vector: extra }]);
    });
    const third = new EmbeddedVectorStore(first.store, join(dataDir, "vector-index"), { exactLimit: 50 });
    const late = await third.search("t", "s", extra, 1);
    expect(late.hits[0]?.id).toBe("late");
    expect(third.stats).toMatchObject({ graphsLoaded: 0, graphsBuilt: 1 });
  });

  it("applies concurrent writes of one id in commit order: memory matches the database", async () => {
    const { store, vectors, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await fill(vectors, "t", "s", randomVectors(60, 8), "p");
    await vectors.search("t", "s", randomVectors(1, 9)[0] as Float32Array, 1);
    const versions = randomVectors(20, 10);
    await Promise.all(versions.map((vector) => fill(vectors, "t", "s", [vector], "same")));
    const stored = await vectors.vectorsOf("t", "s", ["same0"]);
    const { hits } = await vectors.search("t", "s", stored.get("same0") as Float32Array, 3);
    expect(hits[0]).toMatchObject({ id: "same0" });
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits.filter((h) => h.id === "same0")).toHaveLength(1);
    expect(existsSync(store.location)).toBe(true);
  });

  it("sees another node's writes and deletions: a changed generation reloads the space", async () => {
    const { store, vectors: nodeA, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const nodeB = new EmbeddedVectorStore(store, undefined, { exactLimit: 50 });
    const data = randomVectors(80, 12);
    await fill(nodeA, "t", "s", data, "p");
    expect((await nodeA.search("t", "s", data[3] as Float32Array, 1)).hits[0]?.id).toBe("p3");
    const fresh = randomVectors(1, 13)[0] as Float32Array;
    await fill(nodeB, "t", "s", [fresh], "fromB");
    expect((await nodeA.search("t", "s", fresh, 1)).hits[0]?.id).toBe("fromB0");
    await nodeB.write("t", ["s"], (_trx, writes) => writes.remove("s", ["p3"]));
    expect((await nodeA.search("t", "s", data[3] as Float32Array, 1)).hits[0]?.id).not.toBe("p3");
    // Its own writes do not make a node reload.
    const loads = nodeA.stats.spacesLoaded;
    await fill(nodeA, "t", "s", [fresh], "fromA");
    await nodeA.search("t", "s", fresh, 2);
    expect(nodeA.stats.spacesLoaded).toBe(loads);
  });

  it("builds a space's graph with its own HNSW settings when it has them", async () => {
    const { vectors, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await vectors.write("t", ["tuned"], async (_trx, writes) => {
      await writes.ensureSpace("tuned", { ...space, ann: { connectivity: 8, expansionSearch: 32 } });
      await writes.put(
        "tuned",
        randomVectors(120, 14).map((vector, i) => ({ id: `p${i}`, vector })),
      );
    });
    expect(await vectors.describeSpace("t", "tuned")).toMatchObject({
      size: 120,
      approximate: true,
      connectivity: 8,
    });
    await fill(vectors, "t", "plain", randomVectors(120, 15), "p");
    expect(await vectors.describeSpace("t", "plain")).toMatchObject({ approximate: true, connectivity: 16 });
  });

  it("refuses a space redeclared with another dimension", async () => {
    const { vectors, dataDir } = await open();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await fill(vectors, "t", "s", randomVectors(2, 11), "p");
    await expect(
      vectors.write("t", ["s"], (_trx, writes) => writes.ensureSpace("s", { ...space, dimensions: 8 })),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
