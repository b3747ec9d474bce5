import { type Kysely, sql } from "kysely";
import type { Store } from "../store/database.js";
import type { Database } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import { type SearchOptions, type SpaceConfig, VectorWrites } from "./embedded-vector-store.js";
import type { Hit } from "./space-index.js";
import { decodeVector, normalize } from "./vector-codec.js";
import { countEntries, storedVectors } from "./vector-rows.js";
import { dimensionMismatch, type VectorStore } from "./vector-store.js";

type Distance = SpaceConfig["distance"];

/** pgvector's HNSW indexes take vectors of up to 2,000 dimensions; wider spaces are searched exactly. */
export const PGVECTOR_HNSW_MAX_DIMENSIONS = 2_000;
const INSERT_BATCH = 200;
const SYNC_TABLE = "symbiont_pgvector_synced";

/** Per distance: the operator that orders by it, its HNSW operator class, and distance → our score. */
const OPERATORS: Record<Distance, { operator: string; opclass: string; score: string }> = {
  // Cosine spaces hold unit vectors; similarity = 1 - cosine distance.
  cosine: { operator: "<=>", opclass: "vector_cosine_ops", score: "1 - distance" },
  // `<#>` is the negative inner product.
  dot: { operator: "<#>", opclass: "vector_ip_ops", score: "-distance" },
  euclidean: { operator: "<->", opclass: "vector_l2_ops", score: "distance" },
};

/** pgvector's text form of a vector: `[0.1,0.2,...]`. */
export const vectorLiteral = (vector: Float32Array) => `[${Array.from(vector).join(",")}]`;

export interface PgvectorInfo {
  /** The installed extension's version, e.g. 0.8.0. */
  version: string;
}

/**
 * The database's pgvector, created if it is available but not yet in the database. Undefined when
 * the database has no pgvector (or may not create it); `required` turns that into an error that says
 * what to do.
 */
export async function detectPgvector(store: Store, required: boolean): Promise<PgvectorInfo | undefined> {
  const fail = (why: string) => {
    if (!required) return undefined;
    throw new Error(
      `vectorBackend is pgvector, but ${why}. Install pgvector on the Postgres server (https://github.com/pgvector/pgvector) and run CREATE EXTENSION vector as a superuser, or set vectorBackend to auto or embedded.`,
    );
  };
  if (store.dialect !== "postgres")
    return fail("the database is SQLite (pgvector needs databaseUrl to be Postgres)");
  const installed = async () =>
    (
      await sql<{ extversion: string }>`select extversion from pg_extension where extname = 'vector'`.execute(
        store.db,
      )
    ).rows[0]?.extversion;
  let version = await installed();
  if (!version && required) {
    try {
      await sql`create extension if not exists vector`.execute(store.db);
    } catch (error) {
      return fail(
        `the database has no vector extension and creating it failed (${(error as Error).message})`,
      );
    }
    version = await installed();
  }
  if (!version) return fail("the database has no vector extension");
  return { version };
}

const atLeast = (version: string, major: number, minor: number) => {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
};

/**
 * Vectors searched by pgvector in the Postgres database itself. The `vector_entries` rows stay the
 * truth (as with every backend); each distance and dimension has a table with a `vector(n)` column
 * and an HNSW index, shared by tenants and spaces, and every query filters by tenant and space.
 * Changes reach these tables in the writer's own transaction, so they commit together. A space
 * whose generation differs from the one last mirrored (written while another backend was in use)
 * is copied over from `vector_entries` before it is searched.
 */
export class PgvectorVectorStore implements VectorStore {
  private readonly tables = new Set<string>();
  private readonly iterativeScan: boolean;

  constructor(
    private readonly store: Store,
    info: PgvectorInfo,
  ) {
    // From 0.8, a filtered HNSW scan goes on until it has enough rows that pass the filter.
    this.iterativeScan = atLeast(info.version, 0, 8);
  }

  async open(): Promise<this> {
    await sql`create table if not exists ${sql.table(SYNC_TABLE)} (
      tenant_id text not null, space text not null, generation integer not null,
      primary key (tenant_id, space))`.execute(this.store.db);
    return this;
  }

  async write<T>(
    tenantId: string,
    _spaces: readonly string[],
    work: (trx: Kysely<Database>, vectors: VectorWrites) => Promise<T>,
  ): Promise<T> {
    const created: string[] = [];
    const result = await withWriteLock(this.store, `vectors:${tenantId}`, async (trx) => {
      const configs = new Map<string, SpaceConfig>();
      const writes = new VectorWrites(trx, tenantId, configs);
      const value = await work(trx, writes);
      const generations = await writes.bumpGenerations();
      await this.mirror(trx, tenantId, writes, generations, created);
      return value;
    });
    // Tables made inside a transaction exist for others only once it committed.
    for (const table of created) this.tables.add(table);
    return result;
  }

  async search(
    tenantId: string,
    space: string,
    query: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<{ hits: Hit[]; exact: boolean }> {
    let config = await this.spaceState(this.store.db, tenantId, space);
    if (!config) return { hits: [], exact: true };
    if (query.length !== config.dimensions) {
      throw dimensionMismatch(space, config.dimensions, query.length);
    }
    if (config.synced !== config.generation) {
      await this.catchUp(tenantId, space);
      config = (await this.spaceState(this.store.db, tenantId, space)) ?? config;
    }
    const distance = config.metric as Distance;
    const q = vectorLiteral(distance === "cosine" ? normalize(query) : query);
    const indexed = config.dimensions <= PGVECTOR_HNSW_MAX_DIMENSIONS;
    // A filter the caller can list is a SQL condition on the ids, searched exactly.
    if (options.candidates) {
      const ids = await options.candidates();
      const hits = await this.query(tenantId, space, config.dimensions, distance, q, k, { ids, exact: true });
      return { hits: options.accept ? hits.filter((h) => options.accept?.(h.id)) : hits, exact: true };
    }
    if (options.exact || !indexed) {
      const hits = await this.query(
        tenantId,
        space,
        config.dimensions,
        distance,
        q,
        k * (options.accept ? 16 : 1),
        {
          exact: true,
        },
      );
      return { hits: this.accepted(hits, k, options), exact: true };
    }
    let asked = options.accept ? k * 4 : k;
    for (;;) {
      const found = await this.query(tenantId, space, config.dimensions, distance, q, asked, {
        exact: false,
      });
      const hits = this.accepted(found, k, options);
      if (hits.length === k || found.length < asked || asked >= k * 16) return { hits, exact: false };
      asked *= 4;
    }
  }

  vectorsOf(tenantId: string, space: string, ids: readonly string[]): Promise<Map<string, Float32Array>> {
    return storedVectors(this.store.db, tenantId, space, ids);
  }

  countAll(tenantId: string): Promise<number> {
    return countEntries(this.store.db, tenantId);
  }

  close(): void {}

  private accepted(hits: Hit[], k: number, options: SearchOptions): Hit[] {
    return (options.accept ? hits.filter((h) => options.accept?.(h.id)) : hits).slice(0, k);
  }

  private async query(
    tenantId: string,
    space: string,
    dimensions: number,
    distance: Distance,
    q: string,
    limit: number,
    filter: { ids?: readonly string[]; exact: boolean },
  ): Promise<Hit[]> {
    const table = tableName(distance, dimensions);
    if (!(await this.tableExists(table))) return [];
    const { operator, score } = OPERATORS[distance];
    const distanceOf = sql`embedding ${sql.raw(operator)} ${q}::vector`;
    // `+ 0` makes the ordering an expression the HNSW index cannot serve: an exact scan.
    const order = filter.exact ? sql`(${distanceOf}) + 0` : distanceOf;
    const idFilter = filter.ids
      ? sql`and id in (select jsonb_array_elements_text(${JSON.stringify(filter.ids)}::jsonb))`
      : sql``;
    const select = sql<{ id: string; score: number }>`select id, ${sql.raw(score)} as score
      from (select id, ${distanceOf} as distance from ${sql.table(table)}
        where tenant_id = ${tenantId} and space = ${space} ${idFilter}
        order by ${order} limit ${limit}) nearest
      order by distance`;
    const rows = filter.exact
      ? (await select.execute(this.store.db)).rows
      : await this.store.db.transaction().execute(async (trx) => {
          // Settings for this transaction only: enough candidates for k, and (from pgvector 0.8)
          // a scan that keeps going until the tenant and space filter let k rows through.
          await sql`select set_config('hnsw.ef_search', ${String(Math.min(1_000, Math.max(100, limit)))}, true)`.execute(
            trx,
          );
          if (this.iterativeScan)
            await sql`select set_config('hnsw.iterative_scan', 'strict_order', true)`.execute(trx);
          return (await select.execute(trx)).rows;
        });
    return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  }

  private async spaceState(db: Kysely<Database>, tenantId: string, space: string) {
    const result = await sql<{
      dimensions: number;
      metric: string;
      generation: number;
      synced: number | null;
    }>`select s.dimensions, s.metric, s.generation, m.generation as synced
      from vector_spaces s left join ${sql.table(SYNC_TABLE)} m on m.tenant_id = s.tenant_id and m.space = s.space
      where s.tenant_id = ${tenantId} and s.space = ${space}`.execute(db);
    const row = result.rows[0];
    return (
      row && {
        ...row,
        generation: Number(row.generation),
        synced: row.synced === null ? null : Number(row.synced),
      }
    );
  }

  /** Copies a space written through another backend (or before this one existed) from its rows. */
  private async catchUp(tenantId: string, space: string): Promise<void> {
    const created: string[] = [];
    await withWriteLock(this.store, `vectors:${tenantId}`, async (trx) => {
      const state = await this.spaceState(trx, tenantId, space);
      if (!state || state.synced === state.generation) return;
      await this.copySpace(trx, tenantId, space, state.dimensions, state.metric as Distance, created);
      await this.markSynced(trx, tenantId, space, state.generation);
    });
    for (const table of created) this.tables.add(table);
  }

  private async mirror(
    trx: Kysely<Database>,
    tenantId: string,
    writes: VectorWrites,
    generations: Map<string, number>,
    created: string[],
  ): Promise<void> {
    for (const [space, dropped] of writes.droppedConfigs) {
      const table = tableName(dropped.metric as Distance, dropped.dimensions);
      if (await this.tableExists(table, trx))
        await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and space = ${space}`.execute(
          trx,
        );
      await sql`delete from ${sql.table(SYNC_TABLE)} where tenant_id = ${tenantId} and space = ${space}`.execute(
        trx,
      );
    }
    for (const [space, generation] of generations) {
      const state = await this.spaceState(trx, tenantId, space);
      if (!state) continue;
      const distance = state.metric as Distance;
      if (state.synced !== generation - 1) {
        // Not mirrored up to the write before this one: copy the whole space as it is now.
        await this.copySpace(trx, tenantId, space, state.dimensions, distance, created);
      } else {
        const table = await this.ensureTable(trx, distance, state.dimensions, created);
        for (const { space: removedFrom, ids } of writes.removals) {
          if (removedFrom !== space) continue;
          for (let i = 0; i < ids.length; i += 500) {
            const batch = JSON.stringify(ids.slice(i, i + 500));
            await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and space = ${space}
              and id in (select jsonb_array_elements_text(${batch}::jsonb))`.execute(trx);
          }
        }
        await this.upsert(
          trx,
          table,
          tenantId,
          space,
          writes.puts.filter((put) => put.space === space),
        );
      }
      await this.markSynced(trx, tenantId, space, generation);
    }
  }

  private async copySpace(
    trx: Kysely<Database>,
    tenantId: string,
    space: string,
    dimensions: number,
    distance: Distance,
    created: string[],
  ): Promise<void> {
    const table = await this.ensureTable(trx, distance, dimensions, created);
    await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and space = ${space}`.execute(
      trx,
    );
    const rows = await trx
      .selectFrom("vector_entries")
      .select(["id", "vector"])
      .where("tenant_id", "=", tenantId)
      .where("space", "=", space)
      .execute();
    await this.upsert(
      trx,
      table,
      tenantId,
      space,
      rows.map((row) => ({ id: row.id, vector: decodeVector(row.vector) })),
    );
  }

  private async upsert(
    trx: Kysely<Database>,
    table: string,
    tenantId: string,
    space: string,
    entries: readonly { id: string; vector: Float32Array }[],
  ): Promise<void> {
    for (let i = 0; i < entries.length; i += INSERT_BATCH) {
      const values = entries
        .slice(i, i + INSERT_BATCH)
        .map(({ id, vector }) => sql`(${tenantId}, ${space}, ${id}, ${vectorLiteral(vector)}::vector)`);
      await sql`insert into ${sql.table(table)} (tenant_id, space, id, embedding) values ${sql.join(values)}
        on conflict (tenant_id, space, id) do update set embedding = excluded.embedding`.execute(trx);
    }
  }

  private async markSynced(trx: Kysely<Database>, tenantId: string, space: string, generation: number) {
    await sql`insert into ${sql.table(SYNC_TABLE)} (tenant_id, space, generation) values (${tenantId}, ${space}, ${generation})
      on conflict (tenant_id, space) do update set generation = excluded.generation`.execute(trx);
  }

  private async tableExists(table: string, db: Kysely<Database> = this.store.db): Promise<boolean> {
    if (this.tables.has(table)) return true;
    const result = await sql<{ found: string | null }>`select to_regclass(${table})::text as found`.execute(
      db,
    );
    const exists = result.rows[0]?.found != null;
    if (exists) this.tables.add(table);
    return exists;
  }

  /** The table of a distance and dimension, with its HNSW index, made once (any node may race to). */
  private async ensureTable(
    trx: Kysely<Database>,
    distance: Distance,
    dimensions: number,
    created: string[],
  ): Promise<string> {
    const table = tableName(distance, dimensions);
    if (this.tables.has(table)) return table;
    await sql`select pg_advisory_xact_lock(hashtext(${`pgvector-table:${table}`}))`.execute(trx);
    await sql`create table if not exists ${sql.table(table)} (
      tenant_id text not null, space text not null, id text not null,
      embedding vector(${sql.raw(String(dimensions))}) not null,
      primary key (tenant_id, space, id))`.execute(trx);
    if (dimensions <= PGVECTOR_HNSW_MAX_DIMENSIONS) {
      await sql`create index if not exists ${sql.id(`${table}_hnsw`)} on ${sql.table(table)}
        using hnsw (embedding ${sql.raw(OPERATORS[distance].opclass)})`.execute(trx);
    }
    created.push(table);
    return table;
  }
}

/** One table per distance and dimension: `symbiont_pgvector_cosine_384`. */
export function tableName(distance: Distance, dimensions: number): string {
  if (!(distance in OPERATORS) || !Number.isInteger(dimensions) || dimensions < 1)
    throw new Error(`no pgvector table for ${distance} ${dimensions}`);
  return `symbiont_pgvector_${distance}_${dimensions}`;
}
