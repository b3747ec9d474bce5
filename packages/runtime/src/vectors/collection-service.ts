import type {
  CollectionCreateRequest,
  CollectionDistance,
  CollectionInfo,
  CollectionResponse,
  CollectionSearchRequest,
  CollectionSearchResponse,
  KnowledgeSourceType,
  RetrievedPoint,
  UpsertResponse,
  VectorDeleteRequest,
  VectorSearchRequest,
  VectorSearchResponse,
  VectorUpsertRequest,
} from "@symbiont/protocol";
import type { Kysely } from "kysely";
import type { Embedder } from "../embedders/embedder.js";
import type { Scope } from "../identity/scope.js";
import { hybridSearch } from "../retrieval/hybrid-search.js";
import type { KeywordIndex } from "../retrieval/keyword-index.js";
import { conflict, notFound, validationFailed } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import type { Database } from "../store/schema.js";
import type { SpaceConfig } from "./embedded-vector-store.js";
import type { VectorStore } from "./vector-store.js";

const vectorSpace = (collection: string, name: string) => `collection:${collection}:${name}`;
const textSpace = (collection: string) => `point-text:${collection}`;
const DISTANCE: Record<CollectionDistance, SpaceConfig["distance"]> = {
  Cosine: "cosine",
  Dot: "dot",
  Euclidean: "euclidean",
};
const BATCH = 500;

/** The text a point's payload carries, which `/vectors/search` searches: content, else text, else title. */
function textOf(payload: Record<string, unknown>): string | null {
  for (const key of ["content", "text", "title"])
    if (typeof payload[key] === "string" && payload[key] !== "") return payload[key] as string;
  return null;
}

function matches(
  payload: Record<string, unknown>,
  filter: NonNullable<CollectionSearchRequest["filter"]>,
): boolean {
  return Object.entries(filter).every(([key, wanted]) =>
    Array.isArray(wanted) ? wanted.includes(payload[key] as never) : payload[key] === wanted,
  );
}

/**
 * Vector collections of the contract, Qdrant-like: fixed size and distance, points with payloads
 * and one or several named vectors. Each named vector is a space of the embedded vector store;
 * points whose payload has text are also embedded and keyword-indexed for `/vectors/search`.
 */
export class CollectionService {
  constructor(
    private readonly store: Store,
    private readonly vectors: VectorStore,
    private readonly keywords: KeywordIndex,
    private readonly embedder: Embedder,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, request: CollectionCreateRequest): Promise<CollectionResponse> {
    const result = await this.store.db
      .insertInto("vector_collections")
      .values({
        tenant_id: scope.tenantId,
        name: request.name,
        vector_size: request.vector_size,
        distance: request.distance,
        on_disk_payload: request.on_disk_payload ? 1 : 0,
        hnsw_config: request.hnsw_config ? JSON.stringify(request.hnsw_config) : null,
        optimizers_config: request.optimizers_config ? JSON.stringify(request.optimizers_config) : null,
        created_at: this.now().toISOString(),
      })
      .onConflict((c) => c.columns(["tenant_id", "name"]).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1)
      throw conflict(`Collection "${request.name}" already exists`);
    return {
      collection_name: request.name,
      status: "created",
      result: { vector_size: request.vector_size, distance: request.distance },
    };
  }

  async list(scope: Scope): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom("vector_collections")
      .select("name")
      .where("tenant_id", "=", scope.tenantId)
      .orderBy("name")
      .execute();
    return rows.map((r) => r.name);
  }

  async info(scope: Scope, name: string): Promise<CollectionInfo> {
    const collection = await this.require(this.store.db, scope, name);
    const points = await this.count(scope, name);
    const spaces = await this.spacesOf(this.store.db, scope.tenantId, name);
    let vectors = 0;
    for (const space of spaces) {
      const row = await this.store.db
        .selectFrom("vector_entries")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("tenant_id", "=", scope.tenantId)
        .where("space", "=", space)
        .executeTakeFirstOrThrow();
      vectors += Number(row.n);
    }
    return {
      collection_name: name,
      config: {
        vector_size: collection.vector_size,
        distance: collection.distance as CollectionDistance,
        on_disk_payload: collection.on_disk_payload === 1,
        hnsw_config: collection.hnsw_config ? JSON.parse(collection.hnsw_config) : null,
        optimizers_config: collection.optimizers_config ? JSON.parse(collection.optimizers_config) : null,
      },
      status: "green",
      vectors_count: vectors,
      indexed_vectors_count: vectors,
      points_count: points.count,
      created_at: collection.created_at,
    };
  }

  async count(scope: Scope, name: string): Promise<{ count: number; collection_name: string }> {
    await this.require(this.store.db, scope, name);
    const row = await this.store.db
      .selectFrom("vector_points")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("tenant_id", "=", scope.tenantId)
      .where("collection", "=", name)
      .executeTakeFirstOrThrow();
    return { count: Number(row.n), collection_name: name };
  }

  async delete(scope: Scope, name: string): Promise<{ deleted: true; collection_name: string }> {
    const tenantId = scope.tenantId;
    const spaces = [...(await this.spacesOf(this.store.db, tenantId, name)), textSpace(name)];
    await this.vectors.write(tenantId, spaces, async (trx, writes) => {
      await this.require(trx, scope, name);
      await trx
        .deleteFrom("vector_points")
        .where("tenant_id", "=", tenantId)
        .where("collection", "=", name)
        .execute();
      await trx
        .deleteFrom("vector_collections")
        .where("tenant_id", "=", tenantId)
        .where("name", "=", name)
        .execute();
      for (const space of spaces) await writes.dropSpace(space);
      await this.keywords.removeSpace(trx, tenantId, textSpace(name));
    });
    return { deleted: true, collection_name: name };
  }

  /** All or nothing: every point is checked before anything is written. */
  async upsert(scope: Scope, request: VectorUpsertRequest): Promise<UpsertResponse> {
    const tenantId = scope.tenantId;
    const name = request.collection_name;
    const collection = await this.require(this.store.db, scope, name);
    const size = collection.vector_size;
    const points = new Map<
      string,
      { id: string | number; vectors: Map<string, number[]>; payload: Record<string, unknown> }
    >();
    const issues: { field: string; message: string }[] = [];
    request.points.forEach((point, i) => {
      const vectors = Array.isArray(point.vector)
        ? new Map([["", point.vector]])
        : new Map(Object.entries(point.vector));
      for (const [vectorName, vector] of vectors) {
        if (vector.length !== size) {
          issues.push({
            field: `body.points.${i}.vector${vectorName ? `.${vectorName}` : ""}`,
            message: `must have ${size} numbers (the collection's vector_size), not ${vector.length}`,
          });
        }
      }
      // The last point with an id wins, as if they were sent one after another.
      points.set(String(point.id), { id: point.id, vectors, payload: point.payload ?? {} });
    });
    if (issues.length > 0) throw validationFailed(issues);
    const names = new Set([...points.values()].flatMap((p) => [...p.vectors.keys()]));
    const texts = [...points.values()].map((p) => textOf(p.payload));
    const textVectors = await this.embedder.embed(texts.filter((t): t is string => t !== null));
    const existingSpaces = await this.spacesOf(this.store.db, tenantId, name);
    const spaces = [
      ...new Set([...existingSpaces, ...[...names].map((n) => vectorSpace(name, n)), textSpace(name)]),
    ];
    const at = this.now().toISOString();
    const hnsw = collection.hnsw_config
      ? (JSON.parse(collection.hnsw_config) as Record<string, unknown>)
      : {};
    const ann = {
      ...(typeof hnsw.m === "number" ? { connectivity: hnsw.m } : {}),
      ...(typeof hnsw.ef_construct === "number" ? { expansionAdd: hnsw.ef_construct } : {}),
      ...(typeof hnsw.ef === "number" ? { expansionSearch: hnsw.ef } : {}),
    };
    const config = {
      dimensions: size,
      distance: DISTANCE[collection.distance as CollectionDistance],
      embedder: "client",
      ann,
    };
    await this.vectors.write(tenantId, spaces, async (trx, writes) => {
      await this.require(trx, scope, name);
      const ids = [...points.keys()];
      const rows = [...points.entries()].map(([id, p]) => ({
        tenant_id: tenantId,
        collection: name,
        id,
        id_is_int: typeof p.id === "number" ? 1 : 0,
        vector_names: JSON.stringify([...p.vectors.keys()].sort()),
        payload: JSON.stringify(p.payload),
        created_at: at,
        updated_at: at,
      }));
      for (let i = 0; i < rows.length; i += BATCH) {
        await trx
          .insertInto("vector_points")
          .values(rows.slice(i, i + BATCH))
          .onConflict((c) =>
            c.columns(["tenant_id", "collection", "id"]).doUpdateSet((eb) => ({
              id_is_int: eb.ref("excluded.id_is_int"),
              vector_names: eb.ref("excluded.vector_names"),
              payload: eb.ref("excluded.payload"),
              updated_at: eb.ref("excluded.updated_at"),
            })),
          )
          .execute();
      }
      // A point re-sent without one of its named vectors loses it.
      for (const space of existingSpaces) await writes.remove(space, ids);
      for (const vectorName of names) {
        const space = vectorSpace(name, vectorName);
        await writes.ensureSpace(space, config);
        const entries = [...points.entries()].flatMap(([id, p]) => {
          const vector = p.vectors.get(vectorName);
          return vector ? [{ id, vector: Float32Array.from(vector) }] : [];
        });
        await writes.put(space, entries);
      }
      const withText = [...points.keys()].filter((_, i) => texts[i] !== null);
      await writes.ensureSpace(textSpace(name), {
        dimensions: await this.embedder.dimensions(),
        distance: "cosine",
        embedder: this.embedder.id,
      });
      await writes.remove(textSpace(name), ids);
      await this.keywords.remove(trx, tenantId, textSpace(name), ids);
      await writes.put(
        textSpace(name),
        withText.map((id, i) => ({ id, vector: textVectors[i] as Float32Array })),
      );
      await this.keywords.put(
        trx,
        tenantId,
        textSpace(name),
        withText.map((id) => ({
          id,
          text: textOf((points.get(id) as { payload: Record<string, unknown> }).payload) as string,
        })),
      );
    });
    return { collection_name: name, operation_id: null, status: "completed", points_count: points.size };
  }

  async retrieve(scope: Scope, name: string, ids: readonly string[]): Promise<RetrievedPoint[]> {
    await this.require(this.store.db, scope, name);
    if (ids.length === 0) return [];
    const rows = await this.store.db
      .selectFrom("vector_points")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("collection", "=", name)
      .where("id", "in", [...new Set(ids)])
      .execute();
    const byName = new Map<string, Map<string, Float32Array>>();
    const names = new Set(rows.flatMap((r) => JSON.parse(r.vector_names) as string[]));
    for (const vectorName of names) {
      byName.set(
        vectorName,
        await this.vectors.vectorsOf(
          scope.tenantId,
          vectorSpace(name, vectorName),
          rows.map((r) => r.id),
        ),
      );
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return rows
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
      .map((row) => {
        const pointNames = JSON.parse(row.vector_names) as string[];
        const vectorOf = (n: string) => Array.from(byName.get(n)?.get(row.id) ?? []);
        return {
          id: row.id_is_int ? Number(row.id) : row.id,
          vector:
            pointNames.length === 1 && pointNames[0] === ""
              ? vectorOf("")
              : Object.fromEntries(pointNames.map((n) => [n, vectorOf(n)])),
          payload: JSON.parse(row.payload) as Record<string, unknown>,
        };
      });
  }

  async deletePoints(
    scope: Scope,
    request: VectorDeleteRequest,
  ): Promise<{ deleted: number; collection_name: string }> {
    const tenantId = scope.tenantId;
    const name = request.collection_name;
    const ids = [...new Set(request.ids.map(String))];
    const spaces = [...(await this.spacesOf(this.store.db, tenantId, name)), textSpace(name)];
    const deleted = await this.vectors.write(tenantId, spaces, async (trx, writes) => {
      await this.require(trx, scope, name);
      let count = 0;
      for (let i = 0; i < ids.length; i += BATCH) {
        const result = await trx
          .deleteFrom("vector_points")
          .where("tenant_id", "=", tenantId)
          .where("collection", "=", name)
          .where("id", "in", ids.slice(i, i + BATCH))
          .executeTakeFirst();
        count += Number(result.numDeletedRows);
      }
      for (const space of spaces) await writes.remove(space, ids);
      await this.keywords.remove(trx, tenantId, textSpace(name), ids);
      return count;
    });
    return { deleted, collection_name: name };
  }

  async search(
    scope: Scope,
    name: string,
    request: CollectionSearchRequest,
  ): Promise<CollectionSearchResponse> {
    const tenantId = scope.tenantId;
    const collection = await this.require(this.store.db, scope, name);
    if (request.vector.length !== collection.vector_size) {
      throw validationFailed([
        {
          field: "body.vector",
          message: `must have ${collection.vector_size} numbers (the collection's vector_size), not ${request.vector.length}`,
        },
      ]);
    }
    const space = vectorSpace(name, request.using ?? "");
    let accept: ((id: string) => boolean) | undefined;
    let allowed: string[] | undefined;
    if (request.filter && Object.keys(request.filter).length > 0) {
      const filter = request.filter;
      const rows = await this.store.db
        .selectFrom("vector_points")
        .select(["id", "payload"])
        .where("tenant_id", "=", tenantId)
        .where("collection", "=", name)
        .execute();
      allowed = rows.filter((r) => matches(JSON.parse(r.payload), filter)).map((r) => r.id);
      const set = new Set(allowed);
      accept = (id) => set.has(id);
    }
    const { hits, exact } = await this.vectors.search(
      tenantId,
      space,
      Float32Array.from(request.vector),
      request.limit,
      {
        exact: request.exact,
        ...(accept ? { accept } : {}),
        ...(allowed ? { candidates: async () => allowed as string[] } : {}),
      },
    );
    // The rows give ids their original type and payloads; a hit without a row (deleted an instant
    // ago by another writer) is left out.
    const rows =
      hits.length === 0
        ? []
        : await this.store.db
            .selectFrom("vector_points")
            .selectAll()
            .where("tenant_id", "=", tenantId)
            .where("collection", "=", name)
            .where(
              "id",
              "in",
              hits.map((h) => h.id),
            )
            .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const vectors = request.with_vector
      ? await this.vectors.vectorsOf(
          tenantId,
          space,
          hits.map((h) => h.id),
        )
      : undefined;
    return {
      results: hits.flatMap((hit) => {
        const row = byId.get(hit.id);
        if (!row) return [];
        return [
          {
            id: row.id_is_int ? Number(row.id) : row.id,
            score: hit.score,
            payload: request.with_payload ? (JSON.parse(row.payload) as Record<string, unknown>) : null,
            vector: vectors ? Array.from(vectors.get(hit.id) ?? []) : null,
          },
        ];
      }),
      exact,
    };
  }

  /** `/vectors/search`: a text search over the points of every collection whose payload has text. */
  async textSearch(scope: Scope, request: VectorSearchRequest): Promise<VectorSearchResponse> {
    const tenantId = scope.tenantId;
    const db = this.store.db;
    const [query] = await this.embedder.embed([request.query]);
    const sourceTypes = request.source_types ?? [];
    const found: { collection: string; id: string; fused: number; similarity: number }[] = [];
    for (const collection of await this.list(scope)) {
      const hits = await hybridSearch(
        { db, vectors: this.vectors, keywords: this.keywords },
        tenantId,
        textSpace(collection),
        request.query,
        query as Float32Array,
        200,
      );
      for (const hit of hits)
        if (hit.similarity >= request.similarity_threshold) found.push({ collection, ...hit });
    }
    found.sort((a, b) => b.fused - a.fused || b.similarity - a.similarity);
    const results: VectorSearchResponse["results"] = [];
    for (const hit of found) {
      const row = await db
        .selectFrom("vector_points")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("collection", "=", hit.collection)
        .where("id", "=", hit.id)
        .executeTakeFirst();
      if (!row) continue;
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      const agentId = typeof payload.agent_id === "string" ? payload.agent_id : null;
      const sourceType = (
        ["document", "code", "api_reference", "conversation"].includes(payload.source_type as string)
          ? payload.source_type
          : "document"
      ) as KnowledgeSourceType;
      if (request.agent_id && agentId !== request.agent_id) continue;
      if (sourceTypes.length > 0 && !sourceTypes.includes(sourceType)) continue;
      results.push({
        item: {
          id: row.id,
          content: textOf(payload) ?? "",
          embedding: null,
          metadata: {
            source: typeof payload.source === "string" ? payload.source : hit.collection,
            source_type: sourceType,
            chunk_index: null,
            timestamp: row.updated_at,
            agent_id: agentId,
          },
        },
        similarity_score: hit.similarity,
      });
    }
    return { results: results.slice(0, request.limit), query: request.query, total_results: results.length };
  }

  private async spacesOf(db: Kysely<Database>, tenantId: string, name: string): Promise<string[]> {
    const prefix = `collection:${name}:`;
    const rows = await db
      .selectFrom("vector_spaces")
      .select("space")
      .where("tenant_id", "=", tenantId)
      .where("space", ">=", prefix)
      .where("space", "<", `${prefix}\uffff`)
      .execute();
    return rows.map((r) => r.space);
  }

  private async require(db: Kysely<Database>, scope: Scope, name: string) {
    const row = await db
      .selectFrom("vector_collections")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) throw notFound(`Collection "${name}"`);
    return row;
  }
}
