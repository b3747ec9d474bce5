import type { ChangeVersion } from "./change-version.js";

interface Entry<V> {
  version: string;
  value: V;
}

/**
 * Remembers query results for as long as the database has not changed since they were read. A hit
 * is answered synchronously, so a request served from memory never waits on the event loop. The
 * version is taken before loading, so a write that lands while the load runs makes the entry stale
 * at once rather than letting it hide that write. Without a change version (Postgres, where other
 * nodes write unseen) every read loads.
 */
export class VersionedCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly changeVersion: ChangeVersion | undefined,
    private readonly maxEntries = 1_000,
  ) {}

  read(key: K, load: () => Promise<V>): V | Promise<V> {
    if (!this.changeVersion) return load();
    const version = this.changeVersion();
    const entry = this.entries.get(key);
    if (entry && entry.version === version) return entry.value;
    return load().then((value) => {
      if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
        this.entries.delete(this.entries.keys().next().value as K);
      }
      this.entries.set(key, { version, value });
      return value;
    });
  }
}
