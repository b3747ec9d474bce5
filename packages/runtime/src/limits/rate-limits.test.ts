import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorBody } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { awayFromMinuteEdge } from "../../../../test/support/rate-windows.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { redisUrl } from "../../../../test/support/services.js";
import { loadConfig } from "../config/load.js";
import { MemoryRateLimiter } from "./memory-rate-limiter.js";
import { RedisRateLimiter } from "./redis-rate-limiter.js";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("MemoryRateLimiter", () => {
  it("counts per key within a window and refills when the window ends", () => {
    let now = 120_000;
    const limiter = new MemoryRateLimiter(() => now);
    expect(limiter.hit("a", 2, 60_000)).toEqual({ allowed: true, limit: 2, remaining: 1, resetMs: 60_000 });
    expect(limiter.hit("a", 2, 60_000).allowed).toBe(true);
    now += 59_000;
    expect(limiter.hit("a", 2, 60_000)).toEqual({ allowed: false, limit: 2, remaining: 0, resetMs: 1_000 });
    expect(limiter.hit("b", 2, 60_000).allowed).toBe(true);
    now += 1_000;
    expect(limiter.hit("a", 2, 60_000).allowed).toBe(true);
    now += 120_000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
    void limiter.close();
  });
});

describe("RedisRateLimiter when Redis fails", () => {
  it("lets requests through and reports the failure, rather than failing them", async () => {
    const failures: Error[] = [];
    const limiter = new RedisRateLimiter("redis://127.0.0.1:1", (error) => failures.push(error));
    const decision = await limiter.hit("k", 1, 60_000);
    expect(decision).toMatchObject({ allowed: true, limit: 1 });
    expect(failures.length).toBeGreaterThanOrEqual(1);
    await limiter.close();
  });
});

describe("rate limits in one runtime", () => {
  let database: FreshDatabase;
  let server: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    writeFileSync(
      join(database.dataDir, "symbiont.yaml"),
      "rateLimitReadPerMinute: 3\nrateLimitWritePerMinute: 2\nrateLimitIpPerMinute: 0\n",
    );
    const sources = {
      env: {},
      cwd: database.dataDir,
      flags: { port: 0, logLevel: "silent", dataDir: database.dataDir, apiKey: TEST_API_KEY },
    };
    server = await startTestRuntime(
      database,
      { rateLimitReadPerMinute: 3, rateLimitWritePerMinute: 2, rateLimitIpPerMinute: 0 },
      { loadConfig: () => loadConfig(sources) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("answers 429 with Retry-After and X-RateLimit-* once a credential spends its read budget", async () => {
    await awayFromMinuteEdge();
    const { key } = await insertApiKey(server, { permissions: ["admin"] });
    for (let i = 0; i < 3; i++)
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(200);
    const limited = await server.call("GET", "/agents", { headers: bearer(key) });
    expect(limited.status).toBe(429);
    expect(ErrorBody.parse(limited.body).code).toBe("RATE_LIMITED");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("x-ratelimit-limit")).toBe("3");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset")).toBe(String(retryAfter));

    const other = await insertApiKey(server, { permissions: ["admin"] });
    expect((await server.call("GET", "/agents", { headers: bearer(other.key) })).status).toBe(200);
  });

  it("keeps writes on a budget of their own", async () => {
    await awayFromMinuteEdge();
    const { key } = await insertApiKey(server, { permissions: ["admin"] });
    for (let i = 0; i < 3; i++) await server.call("GET", "/agents", { headers: bearer(key) });
    expect(
      (await server.call("POST", "/agents", { body: sampleAgent("w1"), headers: bearer(key) })).status,
    ).toBe(201);
    expect(
      (await server.call("POST", "/agents", { body: sampleAgent("w2"), headers: bearer(key) })).status,
    ).toBe(201);
    const third = await server.call("POST", "/agents", { body: sampleAgent("w3"), headers: bearer(key) });
    expect(third.status).toBe(429);
    expect((await server.call("GET", "/agents/w3")).status).toBe(404);
  });

  it("applies new limits on reload", async () => {
    const { key } = await insertApiKey(server, { permissions: ["admin"] });
    writeFileSync(
      join(database.dataDir, "symbiont.yaml"),
      "rateLimitReadPerMinute: 0\nrateLimitWritePerMinute: 2\nrateLimitIpPerMinute: 0\n",
    );
    const reload = await server.call("POST", "/admin/config/reload", { headers: bearer(key) });
    expect(reload.body).toMatchObject({ applied: ["rateLimitReadPerMinute"] });
    for (let i = 0; i < 10; i++)
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(200);
  });
});

describe("the address budget", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { rateLimitIpPerMinute: 5 });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("limits an address before authentication, so a flood of bad credentials is cut off too", async () => {
    await awayFromMinuteEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await server.call("GET", "/agents", { headers: bearer(`bad-key-${i}-xxxxxxxxxxxx`) })).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect((await server.call("GET", "/health")).status).toBe(429);
  });
});

describe.skipIf(!redisUrl)("rate limits shared through Redis", () => {
  let database: FreshDatabase;
  const nodes: TestRuntime[] = [];

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    for (let i = 0; i < 2; i++) {
      nodes.push(
        await startTestRuntime(database, { redisUrl, rateLimitReadPerMinute: 5, rateLimitIpPerMinute: 0 }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await database?.dispose();
  });

  it("holds one budget across two runtime nodes", async () => {
    await awayFromMinuteEdge();
    // A fresh key: its counters are new even on a Redis that earlier runs have used.
    const { key } = await insertApiKey(nodes[0]!, { permissions: ["admin"] });
    const [a, b] = nodes as [TestRuntime, TestRuntime];
    const statuses: number[] = [];
    for (const node of [a, b, a, b, a, b])
      statuses.push((await node.call("GET", "/agents", { headers: bearer(key) })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await a.call("GET", "/agents", { headers: bearer(key) })).status).toBe(429);
  });

  it("refuses to start when Redis cannot be reached, without printing the URL's password", async () => {
    const fresh = await databaseTargets[0]!.create();
    await expect(startTestRuntime(fresh, { redisUrl: "redis://:hunter2@127.0.0.1:1" })).rejects.toThrow(
      /Could not reach Redis/,
    );
    await expect(startTestRuntime(fresh, { redisUrl: "redis://:hunter2@127.0.0.1:1" })).rejects.not.toThrow(
      /hunter2/,
    );
    await fresh.dispose();
  });
});

describe("rate limits per route group", () => {
  let database: FreshDatabase;
  let server: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { rateLimitGroups: { secrets: 2 } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("spends a group's own budget per credential, leaving other groups alone", async () => {
    await awayFromMinuteEdge();
    const { key } = await insertApiKey(server, { permissions: ["read"] });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await server.call("GET", "/secrets/helper", { headers: bearer(key) })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await server.call("GET", "/secrets/helper", { headers: bearer(key) });
    expect((refused.body as ErrorBody).error).toContain("secrets requests by this credential");
    expect(refused.headers.get("retry-after")).not.toBeNull();
    // Another credential, and another group, still have theirs.
    expect((await server.call("GET", "/secrets/helper")).status).toBe(200);
    expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(200);
    const metrics = await (await fetch(`${server.runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/symbiont_rate_limit_rejections_total\{budget="group:secrets"\} 2/);
  });

  it("reads group budgets from the environment and names a group that does not exist", () => {
    expect(
      loadConfig({ env: { SYMBIONT_RATE_LIMIT_GROUPS: "secrets=60, dsl=30" }, flags: {} }).rateLimitGroups,
    ).toEqual({
      secrets: 60,
      dsl: 30,
    });
    expect(() => loadConfig({ env: { SYMBIONT_RATE_LIMIT_GROUPS: "secretz=60" }, flags: {} })).toThrow(
      /rateLimitGroups.*must name route groups/s,
    );
    expect(() => loadConfig({ env: { SYMBIONT_RATE_LIMIT_GROUPS: "secrets=lots" }, flags: {} })).toThrow(
      /rateLimitGroups.*whole number/s,
    );
  });
});
