import type { Kysely } from "kysely";
import { AppError } from "../server/app-error.js";
import type { Database } from "../store/schema.js";
import type { SearchOptions, VectorWrites } from "./embedded-vector-store.js";
import type { Hit } from "./space-index.js";

/**
 * Where the domains keep and search vectors. Every backend stores the vectors in the database
 * (`vector_entries`, the truth, written in the domain's transaction) and answers searches from an
 * index: the embedded one in memory and the data dir, or a Qdrant server.
 */
export interface VectorStore {
  write<T>(
    tenantId: string,
    spaces: readonly string[],
    work: (trx: Kysely<Database>, vectors: VectorWrites) => Promise<T>,
  ): Promise<T>;
  search(
    tenantId: string,
    space: string,
    query: Float32Array,
    k: number,
    options?: SearchOptions,
  ): Promise<{ hits: Hit[]; exact: boolean }>;
  vectorsOf(tenantId: string, space: string, ids: readonly string[]): Promise<Map<string, Float32Array>>;
  countAll(tenantId: string): Promise<number>;
  close(): void;
}

/**
 * A query whose length differs from the space's stored vectors: the space was filled by an embedder
 * that has changed since (collections check their own queries before they get here).
 */
export function dimensionMismatch(space: string, stored: number, asked: number): AppError {
  return new AppError(
    "CONFLICT",
    `The stored vectors have ${stored} dimensions but the query has ${asked}; was the embedder changed? Re-ingest, or switch back`,
    { space, stored_dimensions: stored, dimensions: asked },
  );
}
