import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { AppError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import type { Database } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import { KeyedMutex } from "./keyed-mutex.js";
import {
  type AnnSettings,
  type Hit,
  SpaceIndex,
  type SpaceIndex as SpaceIndexType,
  type SpaceMetric,
} from "./space-index.js";
import { decodeVector, encodeVector, normalize } from "./vector-codec.js";
import { countEntries, exactFromRows, storedVectors } from "./vector-rows.js";
import { dimensionMismatch, type VectorStore } from "./vector-store.js";

export interface SpaceConfig {
  dimensions: number;
  /** `cosine` spaces store unit vectors and search by inner product. */
  distance: "cosine" | "dot" | "euclidean";
  /** What filled the space: an embedder id, or `client` for vectors sent as they are. */
  embedder: string;
  /** HNSW settings of this space (a collection's hnsw_config); the store's defaults otherwise. */
  ann?: Partial<Pick<AnnSettings, "connectivity" | "expansionAdd" | "expansionSearch">> | undefined;
}

export interface SearchOptions {
  /** Only entries this accepts are returned. */
  accept?: (id: string) => boolean;
  /**
   * The ids `accept` would let through, for an exact answer when the approximate index cannot
   * find k of them among its nearest (a selective filter on a large space).
   */
  candidates?: () => Promise<readonly string[]>;
  exact?: boolean;
}

const INSERT_BATCH = 500;
const metricOf = (distance: SpaceConfig["distance"]): SpaceMetric => (distance === "euclidean" ? "l2" : "ip");
const newKey = () => randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn;

/** Writes to the vectors of a tenant inside one database transaction; applied to memory after commit. */
export class VectorWrites {
  readonly puts: { space: string; id: string; key: bigint; vector: Float32Array }[] = [];
  readonly removals: { space: string; ids: readonly string[] }[] = [];
  readonly droppedSpaces: string[] = [];
  private readonly touched = new Set<string>();

  constructor(
    private readonly trx: Kysely<Database>,
    private readonly tenantId: string,
    private readonly configs: Map<string, SpaceConfig>,
  ) {}

  /** Declares a space (idempotent); a different dimension than recorded is a client error. */
  async ensureSpace(space: string, config: SpaceConfig): Promise<void> {
    const existing = await this.trx
      .selectFrom("vector_spaces")
      .selectAll()
      .where("tenant_id", "=", this.tenantId)
      .where("space", "=", space)
      .executeTakeFirst();
    if (!existing) {
      await this.trx
        .insertInto("vector_spaces")
        .values({
          tenant_id: this.tenantId,
          space,
          dimensions: config.dimensions,
          metric: config.distance,
          embedder: config.embedder,
          ann_settings: config.ann ? JSON.stringify(config.ann) : null,
        })
        .execute();
    } else if (existing.dimensions !== config.dimensions || existing.embedder !== config.embedder) {
      throw new AppError(
        "CONFLICT",
        `The stored vectors were made by ${existing.embedder} with ${existing.dimensions} dimensions, but ${config.embedder} makes ${config.dimensions}; re-create or re-ingest them with one embedder`,
        { space, stored_dimensions: existing.dimensions, dimensions: config.dimensions },
      );
    }
    this.configs.set(space, config);
  }

  async put(space: string, entries: readonly { id: string; vector: Float32Array }[]): Promise<void> {
    const config = this.configs.get(space);
    if (!config) throw new Error(`vector space ${space} used before ensureSpace`);
    const rows = entries.map(({ id, vector }) => {
      const stored = config.distance === "cosine" ? normalize(vector) : vector;
      const key = newKey();
      this.puts.push({ space, id, key, vector: stored });
      this.touched.add(space);
      return { tenant_id: this.tenantId, space, id, key: key.toString(), vector: encodeVector(stored) };
    });
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await this.trx
        .insertInto("vector_entries")
        .values(rows.slice(i, i + INSERT_BATCH))
        .onConflict((c) =>
          c
            .columns(["tenant_id", "space", "id"])
            .doUpdateSet((eb) => ({ key: eb.ref("excluded.key"), vector: eb.ref("excluded.vector") })),
        )
        .execute();
    }
  }

  async remove(space: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += INSERT_BATCH) {
      await this.trx
        .deleteFrom("vector_entries")
        .where("tenant_id", "=", this.tenantId)
        .where("space", "=", space)
        .where("id", "in", ids.slice(i, i + INSERT_BATCH))
        .execute();
    }
    this.removals.push({ space, ids });
    this.touched.add(space);
  }

  /** Bumps the generation of every space this transaction changed; the new generations by space. */
  async bumpGenerations(): Promise<Map<string, number>> {
    const generations = new Map<string, number>();
    for (const space of this.touched) {
      if (this.droppedSpaces.includes(space)) continue;
      const row = await this.trx
        .updateTable("vector_spaces")
        .set((eb) => ({ generation: eb("generation", "+", 1) }))
        .where("tenant_id", "=", this.tenantId)
        .where("space", "=", space)
        .returning("generation")
        .executeTakeFirst();
      if (row) generations.set(space, row.generation);
    }
    return generations;
  }

  /** Dropped spaces' settings, read before their row went: an external index needs them to find its data. */
  readonly droppedConfigs = new Map<string, { dimensions: number; metric: string }>();

  async dropSpace(space: string): Promise<void> {
    const row = await this.trx
      .selectFrom("vector_spaces")
      .select(["dimensions", "metric"])
      .where("tenant_id", "=", this.tenantId)
      .where("space", "=", space)
      .executeTakeFirst();
    if (row) this.droppedConfigs.set(space, row);
    await this.trx
      .deleteFrom("vector_entries")
      .where("tenant_id", "=", this.tenantId)
      .where("space", "=", space)
      .execute();
    await this.trx
      .deleteFrom("vector_spaces")
      .where("tenant_id", "=", this.tenantId)
      .where("space", "=", space)
      .execute();
    this.droppedSpaces.push(space);
  }
}

interface SavedGraph {
  fingerprint: string;
  dimensions: number;
  metric: SpaceMetric;
}

/** Order-independent digest of a key set: equal sets give equal digests. */
function fingerprintOf(keys: Iterable<bigint>): string {
  let xor = 0n;
  let sum = 0n;
  let count = 0;
  for (const key of keys) {
    xor ^= key;
    sum = (sum + key) & 0xffff_ffff_ffff_ffffn;
    count++;
  }
  return `${count}:${xor.toString(16)}:${sum.toString(16)}`;
}

/**
 * The embedded vector store: every vector lives in the database (`vector_entries`), per tenant and
 * space, and each space is searched from an in-memory index built from those rows on first use.
 * Indexes are per tenant, so a search can only ever meet its own tenant's vectors. Large spaces
 * (HNSW graphs) are saved in the data directory and reused at the next start when their key set
 * still matches the database; otherwise they are rebuilt from the rows.
 */
export class EmbeddedVectorStore implements VectorStore {
  private readonly spaces = new Map<string, SpaceIndex | null>();
  /** The store's change version when each space's generation was last checked (SQLite only). */
  private readonly checkedAt = new Map<string, string>();
  private readonly mutex = new KeyedMutex();
  private readonly settings: AnnSettings;
  /** How spaces came into memory since start: from a saved graph, or rebuilt from the rows. */
  readonly stats = { graphsLoaded: 0, graphsBuilt: 0, spacesLoaded: 0 };

  constructor(
    private readonly store: Store,
    private readonly directory: string | undefined,
    settings: Partial<AnnSettings> = {},
  ) {
    this.settings = {
      exactLimit: 5_000,
      connectivity: 16,
      expansionAdd: 128,
      expansionSearch: 128,
      ...settings,
    };
  }

  /**
   * Runs `work` in one transaction (the domain's rows and the vectors together), then applies the
   * vector changes to the loaded indexes. Writers to the same spaces go one at a time, so indexes
   * see changes in commit order.
   */
  async write<T>(
    tenantId: string,
    spaces: readonly string[],
    work: (trx: Kysely<Database>, vectors: VectorWrites) => Promise<T>,
  ): Promise<T> {
    const names = spaces.map((space) => this.nameOf(tenantId, space));
    return this.mutex.run(names, async () => {
      const configs = new Map<string, SpaceConfig>();
      let writes: VectorWrites | undefined;
      let generations = new Map<string, number>();
      const result = await withWriteLock(this.store, `vectors:${tenantId}`, async (trx) => {
        writes = new VectorWrites(trx, tenantId, configs);
        const value = await work(trx, writes);
        generations = await writes.bumpGenerations();
        return value;
      });
      if (writes) this.apply(tenantId, writes, configs, generations);
      return result;
    });
  }

  async search(
    tenantId: string,
    space: string,
    query: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<{ hits: Hit[]; exact: boolean }> {
    await this.dropIfStale(tenantId, space);
    const index = await this.load(tenantId, space);
    if (!index) return { hits: [], exact: true };
    if (query.length !== index.dimensions) {
      throw dimensionMismatch(space, index.dimensions, query.length);
    }
    const q =
      index.metric === "ip" && (await this.distanceOf(tenantId, space)) === "cosine"
        ? normalize(query)
        : query;
    const exactly = async (
      candidates: Awaited<ReturnType<NonNullable<typeof options.candidates>>> | undefined,
    ) => ({
      hits: await exactFromRows(
        this.store.db,
        tenantId,
        space,
        index.metric,
        q,
        k,
        candidates,
        options.accept,
      ),
      exact: true,
    });
    if (options.exact && index.approximate) {
      const candidates = options.candidates ? await options.candidates() : undefined;
      return exactly(candidates);
    }
    const { hits, complete } = index.search(q, k, options.accept);
    if (hits.length < k && !complete && options.candidates) {
      const candidates = await options.candidates();
      return exactly(candidates);
    }
    return { hits, exact: !index.approximate };
  }

  /** How a space is held in memory now (loading it if needed); null for a space without vectors. */
  async describeSpace(
    tenantId: string,
    space: string,
  ): Promise<{ size: number; approximate: boolean; connectivity: number; generation: number } | null> {
    await this.dropIfStale(tenantId, space);
    const index = await this.load(tenantId, space);
    if (!index) return null;
    return {
      size: index.size,
      approximate: index.approximate,
      connectivity: index.connectivity,
      generation: index.generation,
    };
  }

  /** Stored vectors by id (as stored: cosine spaces hold unit vectors). */
  vectorsOf(tenantId: string, space: string, ids: readonly string[]): Promise<Map<string, Float32Array>> {
    return storedVectors(this.store.db, tenantId, space, ids);
  }

  countAll(tenantId: string): Promise<number> {
    return countEntries(this.store.db, tenantId);
  }

  /** Saves the graphs that changed since they were loaded or built. */
  close(): void {
    for (const [name, index] of this.spaces) if (index?.approximate && index.dirty) this.save(name, index);
    this.spaces.clear();
  }

  private distanceCache = new Map<string, SpaceConfig["distance"]>();

  private async distanceOf(tenantId: string, space: string): Promise<SpaceConfig["distance"] | undefined> {
    const name = this.nameOf(tenantId, space);
    const cached = this.distanceCache.get(name);
    if (cached) return cached;
    const row = await this.store.db
      .selectFrom("vector_spaces")
      .select("metric")
      .where("tenant_id", "=", tenantId)
      .where("space", "=", space)
      .executeTakeFirst();
    const distance = row?.metric as SpaceConfig["distance"] | undefined;
    if (distance) this.distanceCache.set(name, distance);
    return distance;
  }

  private nameOf(tenantId: string, space: string): string {
    return `${tenantId}\u0000${space}`;
  }

  private fileOf(name: string): string | undefined {
    if (!this.directory) return undefined;
    return join(this.directory, createHash("sha256").update(name).digest("hex").slice(0, 32));
  }

  private save(name: string, index: SpaceIndexType): void {
    const file = this.fileOf(name);
    if (!file) return;
    mkdirSync(this.directory as string, { recursive: true, mode: 0o700 });
    // Written aside and renamed, so a crash mid-save leaves the old pair or none, never a torn graph.
    index.save(`${file}.usearch.tmp`);
    renameSync(`${file}.usearch.tmp`, `${file}.usearch`);
    const saved: SavedGraph = {
      fingerprint: fingerprintOf(index.keys()),
      dimensions: index.dimensions,
      metric: index.metric,
    };
    writeFileSync(`${file}.json`, JSON.stringify(saved));
  }

  /**
   * Forgets a loaded space whose generation in the database differs from the index's: another node
   * or process wrote to it (or dropped it), so it is reloaded from the rows. One primary-key read.
   */
  private async dropIfStale(tenantId: string, space: string): Promise<void> {
    const name = this.nameOf(tenantId, space);
    if (!this.spaces.has(name)) return;
    // On SQLite, nothing was written by anyone since the last check: the generation cannot have moved.
    const version = this.store.changeVersion?.();
    if (version !== undefined && this.checkedAt.get(name) === version) return;
    const row = await this.store.db
      .selectFrom("vector_spaces")
      .select("generation")
      .where("tenant_id", "=", tenantId)
      .where("space", "=", space)
      .executeTakeFirst();
    const cached = this.spaces.get(name);
    const stale = cached ? row?.generation !== cached.generation : row !== undefined;
    if (stale && this.spaces.get(name) === cached) {
      this.spaces.delete(name);
      this.distanceCache.delete(name);
    }
    if (version !== undefined) this.checkedAt.set(name, version);
  }

  private apply(
    tenantId: string,
    writes: VectorWrites,
    configs: Map<string, SpaceConfig>,
    generations: Map<string, number>,
  ): void {
    for (const space of writes.droppedSpaces) {
      const name = this.nameOf(tenantId, space);
      this.spaces.delete(name);
      this.distanceCache.delete(name);
      const file = this.fileOf(name);
      if (file) for (const suffix of [".usearch", ".json"]) rmSync(`${file}${suffix}`, { force: true });
    }
    for (const { space, ids } of writes.removals) {
      const index = this.spaces.get(this.nameOf(tenantId, space));
      for (const id of ids) index?.remove(id);
    }
    const bySpace = new Map<string, typeof writes.puts>();
    for (const put of writes.puts) bySpace.set(put.space, [...(bySpace.get(put.space) ?? []), put]);
    for (const [space, puts] of bySpace) {
      const name = this.nameOf(tenantId, space);
      // A space not loaded yet will read these rows when it is.
      if (!this.spaces.has(name)) continue;
      let index = this.spaces.get(name);
      if (!index) {
        const config = configs.get(space) as SpaceConfig;
        index = new SpaceIndex(config.dimensions, metricOf(config.distance), {
          ...this.settings,
          ...config.ann,
        });
        this.spaces.set(name, index);
      }
      index.put(puts);
      if (
        index.approximate &&
        index.dirty &&
        index.size >= this.settings.exactLimit &&
        puts.length >= this.settings.exactLimit
      ) {
        this.save(name, index);
      }
    }
    for (const [space, generation] of generations) {
      const name = this.nameOf(tenantId, space);
      const index = this.spaces.get(name);
      if (!index) continue;
      // One step on from what the index reflected: it holds exactly the database's state. More: some
      // other writer came in between, so the index misses a change and is reloaded when next used.
      if (index.generation + 1 === generation) index.generation = generation;
      else this.spaces.delete(name);
    }
  }

  /** The space's index, built from the database (or a matching saved graph) on first use. */
  private async load(tenantId: string, space: string): Promise<SpaceIndex | null> {
    const name = this.nameOf(tenantId, space);
    if (this.spaces.has(name)) return this.spaces.get(name) ?? null;
    return this.mutex.run([name], async () => {
      if (this.spaces.has(name)) return this.spaces.get(name) ?? null;
      const db = this.store.db;
      const config = await db
        .selectFrom("vector_spaces")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("space", "=", space)
        .executeTakeFirst();
      if (!config) {
        this.spaces.set(name, null);
        return null;
      }
      const metric = metricOf(config.metric as SpaceConfig["distance"]);
      const ann = config.ann_settings ? (JSON.parse(config.ann_settings) as SpaceConfig["ann"]) : undefined;
      const index = new SpaceIndex(config.dimensions, metric, { ...this.settings, ...ann });
      index.generation = config.generation;
      const keys = await db
        .selectFrom("vector_entries")
        .select(["id", "key"])
        .where("tenant_id", "=", tenantId)
        .where("space", "=", space)
        .execute();
      const entries = keys.map((row) => ({ id: row.id, key: BigInt(row.key) }));
      const file = this.fileOf(name);
      if (
        file &&
        entries.length >= this.settings.exactLimit &&
        existsSync(`${file}.json`) &&
        this.savedMatches(file, entries, config.dimensions, metric)
      ) {
        index.loadGraph(`${file}.usearch`, entries);
        this.stats.graphsLoaded++;
      } else {
        const rows = await db
          .selectFrom("vector_entries")
          .select(["id", "key", "vector"])
          .where("tenant_id", "=", tenantId)
          .where("space", "=", space)
          .execute();
        index.put(
          rows.map((row) => ({ id: row.id, key: BigInt(row.key), vector: decodeVector(row.vector) })),
        );
        if (index.approximate) {
          this.stats.graphsBuilt++;
          this.save(name, index);
        }
        index.dirty = false;
      }
      this.spaces.set(name, index);
      this.stats.spacesLoaded++;
      return index;
    });
  }

  private savedMatches(
    file: string,
    entries: readonly { key: bigint }[],
    dimensions: number,
    metric: SpaceMetric,
  ): boolean {
    try {
      const saved = JSON.parse(readFileSync(`${file}.json`, "utf8")) as SavedGraph;
      return (
        saved.dimensions === dimensions &&
        saved.metric === metric &&
        saved.fingerprint === fingerprintOf(entries.map((e) => e.key)) &&
        existsSync(`${file}.usearch`)
      );
    } catch {
      return false;
    }
  }
}
