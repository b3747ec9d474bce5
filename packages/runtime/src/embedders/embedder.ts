/** Turns text into vectors of a fixed size. The id is recorded with every space it fills. */
export interface Embedder {
  readonly id: string;
  /** The size of its vectors; a remote model may have to be asked once to know it. */
  dimensions(): Promise<number>;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Remembers recent embeddings: agents re-send the same queries and memories often. */
export class CachingEmbedder implements Embedder {
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly inner: Embedder,
    private readonly capacity = 10_000,
  ) {}

  get id() {
    return this.inner.id;
  }

  dimensions(): Promise<number> {
    return this.inner.dimensions();
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((text) => !this.cache.has(text)))];
    if (missing.length > 0) {
      const vectors = await this.inner.embed(missing);
      missing.forEach((text, i) => {
        this.remember(text, vectors[i] as Float32Array);
      });
    }
    return texts.map((text) => {
      const vector = this.cache.get(text) as Float32Array;
      // Re-inserting marks it most recently used (Map keeps insertion order).
      this.cache.delete(text);
      this.cache.set(text, vector);
      return vector;
    });
  }

  private remember(text: string, vector: Float32Array): void {
    this.cache.set(text, vector);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
  }
}
