import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { SearchOptions } from "../vectors/embedded-vector-store.js";
import { dot } from "../vectors/vector-codec.js";
import type { VectorStore } from "../vectors/vector-store.js";
import { reciprocalRankFusion } from "./fusion.js";
import type { KeywordIndex } from "./keyword-index.js";

export interface HybridHit {
  id: string;
  /** Cosine similarity to the query. */
  similarity: number;
  /** Reciprocal-rank-fused score of the vector and keyword rankings. */
  fused: number;
}

export interface HybridSources {
  db: Kysely<Database>;
  vectors: VectorStore;
  keywords: KeywordIndex;
}

/**
 * Candidates from the vector index and the keyword index of one space, fused by reciprocal rank,
 * best first, each with its cosine similarity (looked up for keyword-only hits).
 */
export async function hybridSearch(
  sources: HybridSources,
  tenantId: string,
  space: string,
  text: string,
  query: Float32Array,
  candidates: number,
  options: Pick<SearchOptions, "accept" | "candidates"> = {},
): Promise<HybridHit[]> {
  const [semantic, lexical] = await Promise.all([
    sources.vectors.search(tenantId, space, query, candidates, options),
    sources.keywords.search(sources.db, tenantId, space, text, options.accept ? candidates * 4 : candidates),
  ]);
  const keywordIds = lexical.map((h) => h.id).filter((id) => !options.accept || options.accept(id));
  const fused = reciprocalRankFusion([semantic.hits.map((h) => h.id), keywordIds.slice(0, candidates)]);
  const similarity = new Map(semantic.hits.map((h) => [h.id, h.score]));
  const missing = [...fused.keys()].filter((id) => !similarity.has(id));
  if (missing.length > 0) {
    const stored = await sources.vectors.vectorsOf(tenantId, space, missing);
    for (const [id, vector] of stored) similarity.set(id, dot(query, vector));
  }
  return [...fused]
    .map(([id, score]) => ({ id, fused: score, similarity: similarity.get(id) ?? 0 }))
    .sort((a, b) => b.fused - a.fused || b.similarity - a.similarity);
}
