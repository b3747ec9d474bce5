import { createHash } from "node:crypto";
import { QdrantClient } from "@qdrant/js-client-rest";
import type { Kysely } from "kysely";
import { AppError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import type { Database } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import { type SearchOptions, type SpaceConfig, VectorWrites } from "./embedded-vector-store.js";
import type { Hit, SpaceMetric } from "./space-index.js";
import { normalize } from "./vector-codec.js";
import { countEntries, exactFromRows, storedVectors } from "./vector-rows.js";
import { dimensionMismatch, type VectorStore } from "./vector-store.js";

const UPSERT_BATCH = 256;
const QDRANT_DISTANCE = { cosine: "Cosine", dot: "Dot", euclidean: "Euclid" } as const;

/** Qdrant point ids are unsigned integers or UUIDs: a UUID derived from tenant, space and entry id. */
export function qdrantPointId(tenantId: string, space: string, id: string): string {
  const hex = createHash("sha256").update(`${tenantId}\u0000${space}\u0000${id}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface QdrantOptions {
  url: string;
  apiKey?: string | undefined;
  /** Prefix of the Qdrant collections this runtime owns. */
  prefix?: string;
}

/**
 * Vectors searched through a Qdrant server. The database keeps every vector too (the truth, and
 * what exact fallbacks read); Qdrant holds one collection per dimension and distance, shared by
 * tenants and spaces and separated by `tenant_id` and `space` payload keys that every search filters
 * on (both indexed). Changes are sent to Qdrant inside the database transaction, before it commits:
 * if Qdrant refuses, nothing is written.
 */
export class QdrantVectorStore implements VectorStore {
  private readonly client: QdrantClient;
  private readonly collections = new Map<string, Promise<void>>();
  private readonly prefix: string;

  constructor(
    private readonly store: Store,
    private readonly options: QdrantOptions,
  ) {
    this.client = new QdrantClient({
      url: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      checkCompatibility: false,
    });
    this.prefix = options.prefix ?? "symbiont";
  }

  async write<T>(
    tenantId: string,
    _spaces: readonly string[],
    work: (trx: Kysely<Database>, vectors: VectorWrites) => Promise<T>,
  ): Promise<T> {
    return withWriteLock(this.store, `vectors:${tenantId}`, async (trx) => {
      const configs = new Map<string, SpaceConfig>();
      const writes = new VectorWrites(trx, tenantId, configs);
      const result = await work(trx, writes);
      await writes.bumpGenerations();
      await this.push(trx, tenantId, writes, configs);
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
    const config = await this.spaceConfig(this.store.db, tenantId, space);
    if (!config) return { hits: [], exact: true };
    if (query.length !== config.dimensions) {
      throw dimensionMismatch(space, config.dimensions, query.length);
    }
    const metric: SpaceMetric = config.metric === "euclidean" ? "l2" : "ip";
    const q = config.metric === "cosine" ? normalize(query) : query;
    if (options.exact && options.accept) {
      const candidates = options.candidates ? await options.candidates() : undefined;
      return {
        hits: await exactFromRows(this.store.db, tenantId, space, metric, q, k, candidates, options.accept),
        exact: true,
      };
    }
    const collection = this.collectionName(config.dimensions, config.metric);
    let asked = options.accept ? k * 4 : k;
    for (;;) {
      const found = await this.call("search", () =>
        this.client.search(collection, {
          vector: Array.from(q),
          limit: asked,
          filter: {
            must: [
              { key: "tenant_id", match: { value: tenantId } },
              { key: "space", match: { value: space } },
            ],
          },
          with_payload: ["entry_id"],
          ...(options.exact ? { params: { exact: true } } : {}),
        }),
      );
      const hits: Hit[] = [];
      for (const point of found) {
        const id = point.payload?.entry_id;
        if (typeof id !== "string" || (options.accept && !options.accept(id))) continue;
        hits.push({ id, score: point.score });
        if (hits.length === k) break;
      }
      if (hits.length === k || found.length < asked) return { hits, exact: Boolean(options.exact) };
      if (asked >= k * 16) break;
      asked *= 4;
    }
    // A selective filter: exact search over what it lets through.
    const candidates = options.candidates ? await options.candidates() : undefined;
    return {
      hits: await exactFromRows(this.store.db, tenantId, space, metric, q, k, candidates, options.accept),
      exact: true,
    };
  }

  vectorsOf(tenantId: string, space: string, ids: readonly string[]): Promise<Map<string, Float32Array>> {
    return storedVectors(this.store.db, tenantId, space, ids);
  }

  countAll(tenantId: string): Promise<number> {
    return countEntries(this.store.db, tenantId);
  }

  close(): void {}

  private async push(
    trx: Kysely<Database>,
    tenantId: string,
    writes: VectorWrites,
    configs: Map<string, SpaceConfig>,
  ): Promise<void> {
    const tenantFilter = { key: "tenant_id", match: { value: tenantId } };
    for (const [space, dropped] of writes.droppedConfigs) {
      const collection = this.collectionName(dropped.dimensions, dropped.metric);
      await this.ensureCollection(collection, dropped.dimensions, dropped.metric);
      await this.call("delete", () =>
        this.client.delete(collection, {
          wait: true,
          filter: { must: [tenantFilter, { key: "space", match: { value: space } }] },
        }),
      );
    }
    for (const { space, ids } of writes.removals) {
      if (writes.droppedSpaces.includes(space)) continue;
      const config = configs.get(space) ?? (await this.spaceConfig(trx, tenantId, space));
      if (!config) continue;
      const collection = this.collectionName(
        config.dimensions,
        "distance" in config ? config.distance : config.metric,
      );
      await this.ensureCollection(
        collection,
        config.dimensions,
        "distance" in config ? config.distance : config.metric,
      );
      for (let i = 0; i < ids.length; i += UPSERT_BATCH) {
        const points = ids.slice(i, i + UPSERT_BATCH).map((id) => qdrantPointId(tenantId, space, id));
        await this.call("delete", () => this.client.delete(collection, { wait: true, points }));
      }
    }
    const bySpace = new Map<string, typeof writes.puts>();
    for (const put of writes.puts) bySpace.set(put.space, [...(bySpace.get(put.space) ?? []), put]);
    for (const [space, puts] of bySpace) {
      const config = configs.get(space) as SpaceConfig;
      const collection = this.collectionName(config.dimensions, config.distance);
      await this.ensureCollection(collection, config.dimensions, config.distance);
      for (let i = 0; i < puts.length; i += UPSERT_BATCH) {
        const points = puts.slice(i, i + UPSERT_BATCH).map((put) => ({
          id: qdrantPointId(tenantId, space, put.id),
          vector: Array.from(put.vector),
          payload: { tenant_id: tenantId, space, entry_id: put.id },
        }));
        await this.call("upsert", () => this.client.upsert(collection, { wait: true, points }));
      }
    }
  }

  private collectionName(dimensions: number, metric: string): string {
    return `${this.prefix}_${metric}_${dimensions}`;
  }

  /** Creates the collection and its payload indexes once per process (and not again if it exists). */
  private ensureCollection(name: string, dimensions: number, metric: string): Promise<void> {
    let ready = this.collections.get(name);
    if (!ready) {
      ready = (async () => {
        const { exists } = await this.call("collectionExists", () => this.client.collectionExists(name));
        if (exists) return;
        const distance = QDRANT_DISTANCE[metric as keyof typeof QDRANT_DISTANCE] ?? "Cosine";
        await this.call("createCollection", () =>
          this.client.createCollection(name, { vectors: { size: dimensions, distance } }),
        );
        for (const field of ["tenant_id", "space"]) {
          await this.call("createPayloadIndex", () =>
            this.client.createPayloadIndex(name, { field_name: field, field_schema: "keyword", wait: true }),
          );
        }
      })();
      this.collections.set(name, ready);
      // A failed attempt is tried again by the next caller.
      ready.catch(() => this.collections.delete(name));
    }
    return ready;
  }

  private async spaceConfig(db: Kysely<Database>, tenantId: string, space: string) {
    return db
      .selectFrom("vector_spaces")
      .select(["dimensions", "metric"])
      .where("tenant_id", "=", tenantId)
      .where("space", "=", space)
      .executeTakeFirst();
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const detail =
        (error as { data?: { status?: { error?: string } }; message?: string }).data?.status?.error ??
        (error as Error).message;
      throw new AppError("UNAVAILABLE", `Qdrant at ${this.options.url} failed (${operation}): ${detail}`, {
        operation,
      });
    }
  }
}
