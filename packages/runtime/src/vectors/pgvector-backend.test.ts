import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { openPgliteStore } from "../../../../test/support/pglite-store.js";
import { loadConfig } from "../config/load.js";
import type { Scope } from "../identity/scope.js";
import { AppError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import { openStore } from "../store/database.js";
import { migrateToLatest } from "../store/migrate.js";
import { EmbeddedVectorStore, type SpaceConfig } from "./embedded-vector-store.js";
import { detectPgvector, PgvectorVectorStore } from "./pgvector-vector-store.js";
import { openRetrieval, openVectorStore } from "./retrieval-services.js";
import { normalize } from "./vector-codec.js";
import { exactFromRows } from "./vector-rows.js";

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}
const vectorOf = (next: () => number, dimensions: number) =>
  Float32Array.from({ length: dimensions }, () => next());

const space = (dimensions: number, distance: SpaceConfig["distance"] = "cosine"): SpaceConfig => ({
  dimensions,
  distance,
  embedder: "client",
});

describe("pgvector (pgvector's SQL in PGlite)", () => {
  let store: Store;
  let vectors: PgvectorVectorStore;
  beforeAll(async () => {
    store = await openPgliteStore();
    await migrateToLatest(store.db, store.dialect);
    const info = await detectPgvector(store, true);
    expect(info?.version).toMatch(/^0\.\d+\.\d+$/);
    vectors = await new PgvectorVectorStore(store, info as NonNullable<typeof info>).open();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  const put = (
    tenant: string,
    name: string,
    config: SpaceConfig,
    entries: { id: string; vector: Float32Array }[],
  ) =>
    vectors.write(tenant, [name], async (_trx, writes) => {
      await writes.ensureSpace(name, config);
      await writes.put(name, entries);
    });

  it("keeps a space in a vector(n) table with an HNSW cosine index, and searches it through the index", async () => {
    const next = random(7);
    const entries = Array.from({ length: 1_500 }, (_, i) => ({ id: `p${i}`, vector: vectorOf(next, 32) }));
    await put("t1", "big", space(32), entries);
    const index = await sql<{ indexdef: string }>`select indexdef from pg_indexes
      where tablename = 'symbiont_pgvector_cosine_32'`.execute(store.db);
    const definitions = index.rows.map((r) => r.indexdef).join("\n");
    expect(definitions).toContain("USING hnsw (embedding vector_cosine_ops)");
    const column = await sql<{
      type: string;
    }>`select format_type(atttypid, atttypmod) as type from pg_attribute
      where attrelid = 'symbiont_pgvector_cosine_32'::regclass and attname = 'embedding'`.execute(store.db);
    expect(column.rows[0]?.type).toBe("vector(32)");
    // At 1,500 rows a sequential scan and sort is cheaper and the planner says so; a large table
    // tips it to the index. Seq scans off (PGlite has one connection: the setting holds for this
    // test), our query's shape must be one the HNSW index serves, and the recall below is its own.
    await sql`analyze symbiont_pgvector_cosine_32`.execute(store.db);
    await sql`set enable_seqscan = off`.execute(store.db);
    const plan = await sql<{ "QUERY PLAN": string }>`explain select id from symbiont_pgvector_cosine_32
      where tenant_id = 't1' and space = 'big' order by embedding <=> ${`[${Array(32).fill(0.1).join(",")}]`}::vector limit 10`.execute(
      store.db,
    );
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("symbiont_pgvector_cosine_32_hnsw");

    // Recall@10 of the approximate search against the exact answer from the stored rows.
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = vectorOf(next, 32);
      const approximate = await vectors.search("t1", "big", query, 10);
      expect(approximate.exact).toBe(false);
      const exact = await exactFromRows(
        store.db,
        "t1",
        "big",
        "ip",
        normalize(query),
        10,
        undefined,
        undefined,
      );
      const truth = new Set(exact.map((h) => h.id));
      found += approximate.hits.filter((h) => truth.has(h.id)).length;
      // Scores are cosine similarities, best first, like every other backend's.
      expect(approximate.hits[0]?.score).toBeCloseTo(exact[0]?.score as number, 4);
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.9);
    await sql`reset enable_seqscan`.execute(store.db);
  }, 60_000);

  it("never returns another tenant's vectors, even the nearest ones in the same table", async () => {
    const target = Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0));
    await put("mine", "s", space(8), [{ id: "far", vector: Float32Array.from([0, 1, 0, 0, 0, 0, 0, 0]) }]);
    await put("theirs", "s", space(8), [{ id: "exact-match", vector: target }]);
    const result = await vectors.search("mine", "s", target, 5);
    expect(result.hits.map((h) => h.id)).toEqual(["far"]);
    expect((await vectors.search("nobody", "s", target, 5)).hits).toEqual([]);
  });

  it("filters by the caller's candidates in SQL, exactly, and keeps hostile ids intact", async () => {
    const next = random(11);
    const ids = ["plain", "quote'); drop table vector_entries; --", "東京 ☃", "x".repeat(300)];
    const entries = ids.map((id) => ({ id, vector: vectorOf(next, 16) }));
    await put("t2", "filtered", space(16), entries);
    const query = entries[1]?.vector as Float32Array;
    const result = await vectors.search("t2", "filtered", query, 3, {
      accept: (id) => id !== "plain",
      candidates: async () => ids.filter((id) => id !== "plain"),
    });
    expect(result.exact).toBe(true);
    expect(result.hits[0]?.id).toBe(ids[1]);
    expect(result.hits.map((h) => h.id).sort()).toEqual(ids.slice(1).sort());
    const stored = await vectors.vectorsOf("t2", "filtered", ids);
    expect(stored.size).toBe(4);
  });

  it("ranks by inner product and by euclidean distance like the exact answer", async () => {
    const next = random(5);
    for (const distance of ["dot", "euclidean"] as const) {
      const entries = Array.from({ length: 200 }, (_, i) => ({
        id: `${distance}${i}`,
        vector: vectorOf(next, 12),
      }));
      await put("t3", distance, space(12, distance), entries);
      const query = vectorOf(next, 12);
      const got = await vectors.search("t3", distance, query, 5, { exact: true });
      const want = await exactFromRows(
        store.db,
        "t3",
        distance,
        distance === "dot" ? "ip" : "l2",
        query,
        5,
        undefined,
        undefined,
      );
      expect(got.hits.map((h) => h.id)).toEqual(want.map((h) => h.id));
      expect(got.hits[0]?.score).toBeCloseTo(want[0]?.score as number, 4);
    }
  });

  it("forgets removed entries and dropped spaces, and a failed write leaves nothing behind", async () => {
    const a = Float32Array.from([1, 0, 0, 0]);
    const b = Float32Array.from([0, 1, 0, 0]);
    await put("t4", "s", space(4), [
      { id: "a", vector: a },
      { id: "b", vector: b },
    ]);
    await vectors.write("t4", ["s"], (_trx, writes) => writes.remove("s", ["a"]));
    expect((await vectors.search("t4", "s", a, 5)).hits.map((h) => h.id)).toEqual(["b"]);
    await expect(
      vectors.write("t4", ["s"], async (_trx, writes) => {
        await writes.ensureSpace("s", space(4));
        await writes.put("s", [{ id: "c", vector: a }]);
        throw new Error("the domain's write failed");
      }),
    ).rejects.toThrow("the domain's write failed");
    expect((await vectors.search("t4", "s", a, 5)).hits.map((h) => h.id)).toEqual(["b"]);
    await vectors.write("t4", ["s"], (_trx, writes) => writes.dropSpace("s"));
    expect((await vectors.search("t4", "s", a, 5)).hits).toEqual([]);
    const left = await sql<{ n: number }>`select count(*)::int as n from symbiont_pgvector_cosine_4
      where tenant_id = 't4'`.execute(store.db);
    expect(left.rows[0]?.n).toBe(0);
  });

  it("refuses a query of another dimension with a conflict that says what to do", async () => {
    await put("t5", "s", space(4), [{ id: "a", vector: Float32Array.from([1, 0, 0, 0]) }]);
    const error = await vectors.search("t5", "s", Float32Array.from([1, 0]), 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain("Re-ingest");
  });

  it("catches up with vectors written while another backend was in use", async () => {
    const embedded = new EmbeddedVectorStore(store, undefined);
    await embedded.write("t6", ["s"], async (_trx, writes) => {
      await writes.ensureSpace("s", space(4));
      await writes.put("s", [{ id: "written-elsewhere", vector: Float32Array.from([0, 0, 1, 0]) }]);
    });
    const result = await vectors.search("t6", "s", Float32Array.from([0, 0, 1, 0]), 5);
    expect(result.hits.map((h) => h.id)).toEqual(["written-elsewhere"]);
    // Then it follows writes incrementally again.
    await put("t6", "s", space(4), [{ id: "next", vector: Float32Array.from([0, 0, 0.9, 0.1]) }]);
    expect(
      (await vectors.search("t6", "s", Float32Array.from([0, 0, 1, 0]), 5)).hits.map((h) => h.id),
    ).toEqual(["written-elsewhere", "next"]);
  });

  it("serves memory and knowledge through the retrieval services when vectorBackend is pgvector", async () => {
    const config = loadConfig({
      env: {},
      flags: { dataDir: "/nonexistent-data-dir", vectorBackend: "pgvector" },
    });
    const retrieval = await openRetrieval(store, config);
    expect(retrieval.vectors).toBeInstanceOf(PgvectorVectorStore);
    const scope: Scope = {
      tenantId: "t7",
      principalId: "p",
      principalKind: "api_key",
      principalName: "test",
      grants: new Set(),
      agentIds: null,
    };
    const base = { memory_type: "fact", memory_level: "long_term", agent_id: "a1", metadata: {} } as const;
    await retrieval.memory.service.add(scope, {
      ...base,
      content: { text: "The lighthouse keeper feeds the gulls" },
    });
    await retrieval.memory.service.add(scope, { ...base, content: { text: "Tax returns are due in April" } });
    const found = await retrieval.memory.service.search(scope, {
      agent_id: "a1",
      query: "who feeds the gulls?",
      limit: 5,
    } as Parameters<typeof retrieval.memory.service.search>[1]);
    expect(found.memories[0]?.content).toEqual({ text: "The lighthouse keeper feeds the gulls" });
    const rows = await sql<{ n: number }>`select count(*)::int as n from symbiont_pgvector_cosine_384
      where tenant_id = 't7'`.execute(store.db);
    expect(rows.rows[0]?.n).toBe(2);
  });
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `choosing the vector backend on ${target.name} (no pgvector there)`,
    () => {
      let store: Store;
      let dispose: () => Promise<void>;
      beforeAll(async () => {
        const database = await target.create();
        dispose = database.dispose;
        store = await openStore({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
        await migrateToLatest(store.db, store.dialect);
      });
      afterAll(async () => {
        await store?.close();
        await dispose?.();
      });

      it("refuses vectorBackend pgvector with what to do, and auto falls back to the embedded index", async () => {
        const config = (vectorBackend: "pgvector" | "auto") =>
          loadConfig({ env: {}, flags: { dataDir: "/nonexistent-data-dir", vectorBackend } });
        const error = await openVectorStore(store, config("pgvector")).catch((e: unknown) => e as Error);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/vectorBackend is pgvector, but/);
        expect((error as Error).message).toContain(
          target.name === "sqlite" ? "the database is SQLite" : "CREATE EXTENSION vector",
        );
        expect(await openVectorStore(store, config("auto"))).toBeInstanceOf(EmbeddedVectorStore);
      });
    },
  );
}

it("refuses vectorBackend qdrant without qdrantUrl", async () => {
  const config = loadConfig({
    env: {},
    flags: { dataDir: "/nonexistent-data-dir", vectorBackend: "qdrant" },
  });
  await expect(openVectorStore({} as Store, config)).rejects.toThrow("qdrantUrl is not set");
});
