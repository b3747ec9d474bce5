import { describe, expect, it } from "vitest";
import { VersionedCache } from "./versioned-cache.js";

describe("VersionedCache", () => {
  it("loads every time when there is no change version", async () => {
    const cache = new VersionedCache<string, number>(undefined);
    let loads = 0;
    await cache.read("k", async () => ++loads);
    await cache.read("k", async () => ++loads);
    expect(loads).toBe(2);
  });

  it("answers from memory while the version holds and reloads when it moves", async () => {
    let version = 1;
    const cache = new VersionedCache<string, number>(() => String(version));
    let loads = 0;
    expect(await cache.read("k", async () => ++loads)).toBe(1);
    expect(await cache.read("k", async () => ++loads)).toBe(1);
    version = 2;
    expect(await cache.read("k", async () => ++loads)).toBe(2);
    expect(await cache.read("other", async () => ++loads)).toBe(3);
  });

  it("takes the version before loading, so a write during the load is never hidden", async () => {
    let version = 1;
    const cache = new VersionedCache<string, string>(() => String(version));
    await cache.read("k", async () => {
      version = 2; // a write lands while the query runs
      return "read during the write";
    });
    expect(await cache.read("k", async () => "fresh")).toBe("fresh");
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const cache = new VersionedCache<number, number>(() => "v", 2);
    let loads = 0;
    for (const key of [1, 2, 3]) await cache.read(key, async () => ++loads);
    await cache.read(1, async () => ++loads);
    expect(loads).toBe(4);
  });
});
