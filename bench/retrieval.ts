/**
 * Vector and memory retrieval, in process, on a temp SQLite data dir:
 * - `vector_search`: N x 384 clustered unit vectors (embedding-like: points around 1,000 topics)
 *   written through the embedded vector store (ingestion), then single queries through its HNSW
 *   graph, next to usearch's SIMD exact search over the same data as the baseline; recall@10 is
 *   measured against that exact search.
 * - `memory_search`: M memories of one agent stored through MemoryService (embedding, row, keyword
 *   and vector index in one transaction per batch), then p50/p95 of a free-text (hybrid) search and
 *   of a filter search, plus single-memory and batch ingestion throughput; then the same with
 *   memoryEncryption (content sealed, keyword index of keyed word digests) beside it.
 *
 * pgvector is not in the side-by-side: here it can only run in PGlite (single-threaded WebAssembly),
 * which measured 38 vectors/s ingestion and 37 queries/s at 2,000 x 384, a figure about WebAssembly,
 * not about pgvector on a Postgres server.
 */

import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import usearch from "usearch";
import { CachingEmbedder } from "../packages/runtime/src/embedders/embedder.js";
import { HashingEmbedder } from "../packages/runtime/src/embedders/hashing-embedder.js";
import type { Scope } from "../packages/runtime/src/identity/scope.js";
import { ContentSealing, PLAIN_CONTENT } from "../packages/runtime/src/memory/content-sealing.js";
import { MemoryRepository } from "../packages/runtime/src/memory/memory-repository.js";
import { MemoryService } from "../packages/runtime/src/memory/memory-service.js";
import { KeywordIndex } from "../packages/runtime/src/retrieval/keyword-index.js";
import { MasterKey } from "../packages/runtime/src/secrets/master-key.js";
import { Sealer } from "../packages/runtime/src/secrets/sealer.js";
import { openStore } from "../packages/runtime/src/store/database.js";
import { migrateToLatest } from "../packages/runtime/src/store/migrate.js";
import { EmbeddedVectorStore } from "../packages/runtime/src/vectors/embedded-vector-store.js";
import { normalize } from "../packages/runtime/src/vectors/vector-codec.js";
import { log, makeTempDir, percentile, round } from "./processes.js";

const DIMS = 384;
/** Intrinsic dimension of the generated vectors (BENCH_LATENT); higher is harder for the graph. */
const LATENT = Number(process.env.BENCH_LATENT ?? 32);
/** Isotropic noise per dimension, relative to the latent signal (about 1 per dimension). */
const NOISE = 0.5;
export const VECTOR_TARGET = { recall_at_10: 0.95, queries_per_s: 500 };

function rng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Embedding-like unit vectors: a random linear image of a 32-dimensional Gaussian (sentence embeddings
 * have an intrinsic dimension of a few dozen) plus a little isotropic noise. Neighbours lie at every
 * distance, unlike well-separated clusters, where any graph finds the cluster and recall is trivially 1.
 */
function embeddingLike(count: number, seed: number, latent = LATENT): Float32Array[] {
  const random = rng(seed);
  const basisRandom = rng(12345);
  const basis = Array.from({ length: latent }, () =>
    Float32Array.from({ length: DIMS }, () => gaussian(basisRandom)),
  );
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: DIMS }, () => NOISE * gaussian(random));
    for (const direction of basis) {
      const weight = gaussian(random);
      for (let i = 0; i < DIMS; i++) v[i] = (v[i] as number) + weight * (direction[i] as number);
    }
    return normalize(v);
  });
}

const scope = (tenantId: string): Scope => ({
  tenantId,
  principalId: "bench",
  principalKind: "api_key",
  principalName: "bench",
  grants: new Set(["admin"]),
  agentIds: null,
});

async function openBenchStore() {
  const dataDir = await makeTempDir();
  const store = await openStore({ dataDir });
  await migrateToLatest(store.db, store.dialect);
  return { dataDir, store };
}

export async function runVectorSearch(points: number, queries: number) {
  log(`vector_search: ${points} x ${DIMS}, ${queries} queries`);
  const { dataDir, store } = await openBenchStore();
  const vectors = new EmbeddedVectorStore(store, path.join(dataDir, "vector-index"));
  try {
    const data = embeddingLike(points, 1);
    const probes = embeddingLike(queries, 2);
    const space = "bench";
    // Loaded while empty, so the graph grows as rows are written: ingestion pays for indexing.
    await vectors.search("t", space, probes[0] as Float32Array, 1);
    const ingestStart = performance.now();
    for (let i = 0; i < points; i += 1_000) {
      await vectors.write("t", [space], async (_trx, writes) => {
        await writes.ensureSpace(space, { dimensions: DIMS, distance: "cosine", embedder: "bench" });
        await writes.put(
          space,
          data.slice(i, i + 1_000).map((vector, j) => ({ id: String(i + j), vector })),
        );
      });
    }
    const ingestS = (performance.now() - ingestStart) / 1000;
    log(`vector_search: ingested in ${round(ingestS)} s`);

    // Baseline: usearch's SIMD exact search, one query at a time, same process.
    const matrix = new Float32Array(points * DIMS);
    data.forEach((vector, i) => {
      matrix.set(vector, i * DIMS);
    });
    const truth: string[][] = [];
    const exactStart = performance.now();
    for (const probe of probes) {
      const matches = usearch.exactSearch(matrix, probe, DIMS, 10, usearch.MetricKind.IP, 1) as InstanceType<
        typeof usearch.Matches
      >;
      truth.push(Array.from(matches.keys, (key) => String(key)));
    }
    const exactQps = queries / ((performance.now() - exactStart) / 1000);

    const latencies: number[] = [];
    let found = 0;
    const annStart = performance.now();
    for (const [i, probe] of probes.entries()) {
      const started = performance.now();
      const { hits } = await vectors.search("t", space, probe, 10);
      latencies.push(performance.now() - started);
      const expected = new Set(truth[i]);
      found += hits.filter((hit) => expected.has(hit.id)).length;
    }
    const annQps = queries / ((performance.now() - annStart) / 1000);
    latencies.sort((a, b) => a - b);
    const recall = found / (queries * 10);
    return {
      name: "vector_search",
      points,
      dimensions: DIMS,
      queries,
      data: {
        generator: "unit vectors from a random 384 x latent map of a Gaussian, plus noise",
        latent_dimensions: LATENT,
        noise: NOISE,
        queries: "fresh points drawn like the data, not in it",
      },
      hnsw: { connectivity: 16, expansion_add: 128, expansion_search: 128 },
      ingestion: { seconds: round(ingestS, 2), vectors_per_s: Math.round(points / ingestS) },
      approximate: {
        queries_per_s: Math.round(annQps),
        latency_p50_ms: round(percentile(latencies, 50), 3),
        latency_p95_ms: round(percentile(latencies, 95), 3),
        recall_at_10: round(recall, 4),
      },
      baseline_exact_usearch_simd: { queries_per_s: Math.round(exactQps) },
      target: VECTOR_TARGET,
      meets_target: recall >= VECTOR_TARGET.recall_at_10 && annQps >= VECTOR_TARGET.queries_per_s,
    };
  } finally {
    vectors.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const WORDS = Array.from({ length: 5_000 }, (_, i) => `w${i.toString(36)}`);

/** Zipf-distributed words, as in natural text: a few frequent, a long tail of rare ones. */
function sentence(random: () => number, length = 14): string {
  return Array.from(
    { length },
    () => WORDS[Math.min(WORDS.length - 1, Math.floor(WORDS.length ** random()) - 1)] as string,
  ).join(" ");
}

export async function runMemorySearch(memories: number, queries: number, sealed = false) {
  log(`memory_search${sealed ? " (sealed)" : ""}: ${memories} memories, ${queries} queries`);
  const sealing = sealed
    ? new ContentSealing(new Sealer(MasterKey.fromBytes(randomBytes(32), "bench"), "memory"), true)
    : PLAIN_CONTENT;
  const { dataDir, store } = await openBenchStore();
  const vectors = new EmbeddedVectorStore(store, path.join(dataDir, "vector-index"));
  const keywords = new KeywordIndex(store.dialect);
  const embedder = new CachingEmbedder(new HashingEmbedder(DIMS));
  const service = new MemoryService(
    store,
    new MemoryRepository(store.db, sealing),
    vectors,
    keywords,
    embedder,
    {
      shortTermTtlSeconds: 0,
    },
  );
  const random = rng(7);
  const who = scope("t");
  const agent = "bench-agent";
  const input = () => ({
    content: { text: sentence(random) },
    memory_type: "fact" as const,
    memory_level: (random() < 0.5 ? "long_term" : "episodic") as "long_term" | "episodic",
    agent_id: agent,
    importance_score: round(random(), 2),
  });
  try {
    await service.search(who, { agent_id: agent, query: "warm up", limit: 1 });
    const singles = Math.min(500, memories);
    const singleStart = performance.now();
    for (let i = 0; i < singles; i++) await service.add(who, input());
    const singleRate = singles / ((performance.now() - singleStart) / 1000);
    const batchStart = performance.now();
    for (let done = singles; done < memories; done += 1_000) {
      await service.addMany(who, Array.from({ length: Math.min(1_000, memories - done) }, input));
    }
    const batchRate = (memories - singles) / ((performance.now() - batchStart) / 1000);
    log(`memory_search: stored ${memories}`);

    const textLatencies: number[] = [];
    const filterLatencies: number[] = [];
    for (let i = 0; i < queries; i++) {
      let started = performance.now();
      await service.search(who, { agent_id: agent, query: sentence(random, 6), limit: 10 });
      textLatencies.push(performance.now() - started);
      started = performance.now();
      await service.search(who, {
        agent_id: agent,
        query: { memory_level: "episodic" },
        importance_threshold: 0.5,
        limit: 50,
      });
      filterLatencies.push(performance.now() - started);
    }
    textLatencies.sort((a, b) => a - b);
    filterLatencies.sort((a, b) => a - b);
    return {
      name: sealed ? "memory_search_sealed" : "memory_search",
      memory_encryption: sealed,
      memories,
      queries,
      ingestion: {
        single_add_per_s: Math.round(singleRate),
        batch_add_per_s: memories > singles ? Math.round(batchRate) : null,
        note: "single: one transaction (row, FTS5, vector) per memory, synchronous=FULL; batch: 1,000 per transaction",
      },
      text_query_hybrid: {
        p50_ms: round(percentile(textLatencies, 50), 2),
        p95_ms: round(percentile(textLatencies, 95), 2),
      },
      filter_query: {
        p50_ms: round(percentile(filterLatencies, 50), 2),
        p95_ms: round(percentile(filterLatencies, 95), 2),
      },
    };
  } finally {
    vectors.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runRetrieval(quick: boolean) {
  const cores = os.cpus().length;
  log(`retrieval benchmarks (${quick ? "quick" : "full"}, ${cores} CPUs)`);
  return [
    await runVectorSearch(quick ? 10_000 : 100_000, quick ? 200 : 1_000),
    await runMemorySearch(quick ? 5_000 : 100_000, quick ? 50 : 200),
    await runMemorySearch(quick ? 5_000 : 100_000, quick ? 50 : 200, true),
  ];
}
