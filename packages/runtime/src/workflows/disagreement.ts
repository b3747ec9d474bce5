/**
 * The disagreement index of several texts: 1 − the mean pairwise cosine similarity of their
 * embeddings. 0 when every text says the same (identical vectors), near 1 when they share nothing;
 * negative similarities (possible with some embedders) are clamped to 0, so the index stays in [0, 1].
 * It measures how differently the texts are worded and what they are about, as far as the embedder
 * sees it — not whether their claims contradict each other.
 */
export interface Disagreement {
  index: number;
  mean_similarity: number;
  pairs: { a: number; b: number; similarity: number }[];
  method: string;
  embedder: string;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  if (normA === 0 || normB === 0) return normA === normB ? 1 : 0;
  return dot / Math.sqrt(normA * normB);
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

export function disagreementOf(vectors: Float32Array[], embedder: string): Disagreement {
  const pairs: Disagreement["pairs"] = [];
  for (let a = 0; a < vectors.length; a++)
    for (let b = a + 1; b < vectors.length; b++)
      pairs.push({
        a,
        b,
        similarity: round(
          Math.min(1, Math.max(0, cosine(vectors[a] as Float32Array, vectors[b] as Float32Array))),
        ),
      });
  const mean = pairs.length === 0 ? 1 : pairs.reduce((sum, pair) => sum + pair.similarity, 0) / pairs.length;
  return {
    index: round(1 - mean),
    mean_similarity: round(mean),
    pairs,
    method: "1 - mean pairwise cosine similarity of the texts' embeddings",
    embedder,
  };
}
