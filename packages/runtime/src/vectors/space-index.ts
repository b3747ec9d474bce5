import usearch from "usearch";
import { dot, euclidean } from "./vector-codec.js";

const { Index, MetricKind, ScalarKind } = usearch;
type UsearchIndex = InstanceType<typeof Index>;

/**
 * `ip`: inner product; spaces with cosine distance store unit vectors, so it is their cosine.
 * `l2`: Euclidean distance.
 */
export type SpaceMetric = "ip" | "l2";

export interface AnnSettings {
  /** Below this many vectors a space is searched exactly; from it on, through HNSW. */
  exactLimit: number;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

export interface Hit {
  id: string;
  /** `ip`: similarity, higher is closer. `l2`: distance, lower is closer. */
  score: number;
}

export const better = (metric: SpaceMetric) => (a: Hit, b: Hit) =>
  metric === "l2" ? a.score - b.score : b.score - a.score;

/** Top k of scored items without sorting them all. */
export function topK(hits: Hit[], k: number, metric: SpaceMetric): Hit[] {
  return hits.sort(better(metric)).slice(0, k);
}

export function scoreOf(metric: SpaceMetric, a: Float32Array, b: Float32Array): number {
  return metric === "l2" ? euclidean(a, b) : dot(a, b);
}

/**
 * The vectors of one space of one tenant, in memory: a plain map searched exactly while small, a
 * usearch HNSW graph once it grows. Keys are the 64-bit ids usearch wants; each write of an entry
 * gets a fresh key, so a persisted graph can be checked against the database by its key set.
 */
export class SpaceIndex {
  private exact: Map<string, Float32Array> | null = new Map();
  private ann: UsearchIndex | null = null;
  private readonly keyToId = new Map<bigint, string>();
  private readonly idToKey = new Map<string, bigint>();
  /** Changed since it was last saved. */
  dirty = false;
  /** The database's generation of the space this index reflects. */
  generation = 0;

  constructor(
    readonly dimensions: number,
    readonly metric: SpaceMetric,
    private readonly settings: AnnSettings,
  ) {}

  get size(): number {
    return this.idToKey.size;
  }

  /** The graph's connectivity (M), or what it will be built with. */
  get connectivity(): number {
    return this.ann?.connectivity() ?? this.settings.connectivity;
  }

  get approximate(): boolean {
    return this.ann !== null;
  }

  has(id: string): boolean {
    return this.idToKey.has(id);
  }

  keys(): IterableIterator<bigint> {
    return this.keyToId.keys();
  }

  /** Adds many at once; turns the space approximate when it outgrows exact search. */
  put(entries: readonly { id: string; key: bigint; vector: Float32Array }[]): void {
    for (const { id } of entries) this.remove(id);
    const exact = this.exact;
    if (exact && exact.size + entries.length < this.settings.exactLimit) {
      for (const { id, key, vector } of entries) {
        exact.set(id, vector);
        this.track(id, key);
      }
    } else {
      const ann = this.ann ?? this.promote();
      if (entries.length > 0) {
        const keys = new BigUint64Array(entries.map((e) => e.key));
        const matrix = new Float32Array(entries.length * this.dimensions);
        entries.forEach((e, i) => {
          matrix.set(e.vector, i * this.dimensions);
        });
        ann.add(keys, matrix, 0);
      }
      for (const { id, key } of entries) this.track(id, key);
    }
    this.dirty = true;
  }

  remove(id: string): void {
    const key = this.idToKey.get(id);
    if (key === undefined) return;
    this.idToKey.delete(id);
    this.keyToId.delete(key);
    this.exact?.delete(id);
    this.ann?.remove(key);
    this.dirty = true;
  }

  /**
   * The k best entries that `accept` lets through. The graph is asked for more than k when a filter
   * drops some, up to 16 times k; `complete` says whether every accepted entry was
   * considered (always, for exact search).
   */
  search(
    query: Float32Array,
    k: number,
    accept?: (id: string) => boolean,
  ): { hits: Hit[]; complete: boolean } {
    if (this.exact) {
      const hits: Hit[] = [];
      for (const [id, vector] of this.exact) {
        if (!accept || accept(id)) hits.push({ id, score: scoreOf(this.metric, query, vector) });
      }
      return { hits: topK(hits, k, this.metric), complete: true };
    }
    const ann = this.ann as UsearchIndex;
    const size = ann.size();
    let asked = Math.min(size, accept ? k * 4 : k);
    for (;;) {
      const matches = ann.search(query, asked, 0);
      const hits: Hit[] = [];
      for (let i = 0; i < matches.keys.length; i++) {
        const id = this.keyToId.get(matches.keys[i] as bigint);
        if (id === undefined || (accept && !accept(id))) continue;
        const distance = matches.distances[i] as number;
        hits.push({ id, score: this.metric === "l2" ? Math.sqrt(Math.max(0, distance)) : 1 - distance });
        if (hits.length === k) return { hits, complete: false };
      }
      // Past 16 times k a filter is selective enough that exact search over what it lets through
      // (the caller's fallback) is cheaper than walking ever more of the graph.
      if (asked >= size || asked >= Math.max(k * 16, 64)) return { hits, complete: asked >= size };
      asked = Math.min(size, asked * 4);
    }
  }

  save(path: string): void {
    this.ann?.save(path);
    this.dirty = false;
  }

  /** Takes a saved graph whose key set the caller checked against the database. */
  loadGraph(path: string, entries: readonly { id: string; key: bigint }[]): void {
    const ann = this.newGraph();
    ann.load(path);
    this.ann = ann;
    this.exact = null;
    for (const { id, key } of entries) this.track(id, key);
    this.dirty = false;
  }

  private track(id: string, key: bigint): void {
    this.idToKey.set(id, key);
    this.keyToId.set(key, id);
  }

  private newGraph(): UsearchIndex {
    return new Index({
      dimensions: this.dimensions,
      metric: this.metric === "l2" ? MetricKind.L2sq : MetricKind.IP,
      connectivity: this.settings.connectivity,
      expansion_add: this.settings.expansionAdd,
      expansion_search: this.settings.expansionSearch,
      quantization: ScalarKind.F32,
      multi: false,
    });
  }

  /** Moves the exact map into a new graph (once, when the space outgrows exact search). */
  private promote(): UsearchIndex {
    const ann = this.newGraph();
    const exact = this.exact ?? new Map();
    if (exact.size > 0) {
      const keys = new BigUint64Array(exact.size);
      const matrix = new Float32Array(exact.size * this.dimensions);
      let i = 0;
      for (const [id, vector] of exact) {
        keys[i] = this.idToKey.get(id) as bigint;
        matrix.set(vector, i * this.dimensions);
        i++;
      }
      ann.add(keys, matrix, 0);
    }
    this.ann = ann;
    this.exact = null;
    return ann;
  }
}
