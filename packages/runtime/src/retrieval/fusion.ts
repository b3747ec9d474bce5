/**
 * Reciprocal rank fusion (Cormack et al., 2009): each ranked list gives an item 1 / (k + rank).
 * It needs no score calibration between lists, which is why it suits vector similarity and BM25,
 * whose scales have nothing in common. k = 60 is the paper's constant.
 */
export function reciprocalRankFusion(lists: readonly (readonly string[])[], k = 60): Map<string, number> {
  const fused = new Map<string, number>();
  for (const list of lists) {
    list.forEach((id, rank) => {
      fused.set(id, (fused.get(id) ?? 0) + 1 / (k + rank + 1));
    });
  }
  return fused;
}
