import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { type Hit, type SpaceMetric, scoreOf, topK } from "./space-index.js";
import { decodeVector } from "./vector-codec.js";

const BATCH = 500;

/** Stored vectors of a space by id (all of them when `ids` is undefined), from the database. */
export async function storedVectors(
  db: Kysely<Database>,
  tenantId: string,
  space: string,
  ids?: readonly string[],
): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  const base = db
    .selectFrom("vector_entries")
    .select(["id", "vector"])
    .where("tenant_id", "=", tenantId)
    .where("space", "=", space);
  if (!ids) {
    for (const row of await base.execute()) out.set(row.id, decodeVector(row.vector));
    return out;
  }
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows = await base.where("id", "in", ids.slice(i, i + BATCH)).execute();
    for (const row of rows) out.set(row.id, decodeVector(row.vector));
  }
  return out;
}

export async function countEntries(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom("vector_entries")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Brute force over the stored rows: the exact answer, for small candidate sets or when asked. */
export async function exactFromRows(
  db: Kysely<Database>,
  tenantId: string,
  space: string,
  metric: SpaceMetric,
  query: Float32Array,
  k: number,
  candidates: readonly string[] | undefined,
  accept: ((id: string) => boolean) | undefined,
): Promise<Hit[]> {
  const vectors = await storedVectors(db, tenantId, space, candidates);
  const hits: Hit[] = [];
  for (const [id, vector] of vectors) {
    if (!accept || accept(id)) hits.push({ id, score: scoreOf(metric, query, vector) });
  }
  return topK(hits, k, metric);
}
