/** Runs work for the same keys one after another, in arrival order; different keys run side by side. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    // Sorted and de-duplicated, so two callers taking overlapping sets cannot deadlock.
    const sorted = [...new Set(keys)].sort();
    const previous = sorted.map((key) => this.tails.get(key) ?? Promise.resolve());
    const result = Promise.allSettled(previous).then(work);
    const tail = result.catch(() => undefined);
    for (const key of sorted) this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      for (const key of sorted) if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
