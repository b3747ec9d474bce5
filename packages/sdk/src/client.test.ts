import { afterEach, describe, expect, it } from "vitest";
import {
  API_KEY,
  errorBody,
  json,
  type ScriptedServer,
  startServer,
  testClient,
  unusedPort,
} from "../test-support/http-server.js";
import { ApiError, ConnectionError, RequestAbortedError, TimeoutError } from "./errors.js";
import { USER_AGENT } from "./platform.js";
import { sleep } from "./retry.js";

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const healthy = { status: "healthy", uptime_seconds: 5, timestamp: "2025-01-01T00:00:00Z", version: "0.1.0" };
const notReady = {
  status: "not_ready",
  checks: { database: { ok: false, latency_ms: 3, error: "refused" } },
};

describe("request headers", () => {
  it("carry Accept, the bearer key and the Node User-Agent, and Content-Type only with a body", async () => {
    server = await startServer(json(200, {}));
    const { client } = testClient(server.baseUrl);
    await client.agents.list();
    await client.agents.update("a", { name: "A" });
    const [get, patch] = server.requests;
    expect(get!.headers.accept).toBe("application/json");
    expect(get!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(get!.headers["user-agent"]).toBe("symbiont-sdk-ts/0.1.0");
    expect(USER_AGENT).toBe("symbiont-sdk-ts/0.1.0");
    expect(get!.headers["content-type"]).toBeUndefined();
    expect(patch!.headers["content-type"]).toBe("application/json");
  });

  it("send no Authorization header when no key is configured", async () => {
    server = await startServer(json(200, healthy));
    const { client } = testClient(server.baseUrl, { apiKey: undefined });
    await client.health();
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe("system routes", () => {
  it("reach /health, /ready, /metrics and /admin/config/reload under the base URL", async () => {
    server = await startServer(json(200, healthy));
    const { client } = testClient(`${server.baseUrl}/`);
    await expect(client.health()).resolves.toEqual(healthy);
    await client.ready();
    await client.system.metrics();
    await client.system.reloadConfig();
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /api/v1/health",
      "GET /api/v1/ready",
      "GET /api/v1/metrics",
      "POST /api/v1/admin/config/reload",
    ]);
  });

  it("surface a not-ready 503 from ready() as an ApiError whose body names the failing checks", async () => {
    server = await startServer(json(503, notReady));
    const { client } = testClient(server.baseUrl);
    const error = await client.ready({ maxRetries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).body).toEqual(notReady);
    expect((error as Error).message).toContain('"not_ready"');
    expect(server.requests).toHaveLength(1);
  });
});

describe("waitForHealthy", () => {
  it("polls until /health answers 200 and returns that answer", async () => {
    server = await startServer(
      errorBody(503, "UNAVAILABLE", "starting"),
      errorBody(503, "UNAVAILABLE", "starting"),
      json(200, healthy),
    );
    const { client } = testClient(server.baseUrl, { maxRetries: 5 });
    await expect(client.waitForHealthy({ timeout: 5_000, interval: 10 })).resolves.toEqual(healthy);
    expect(server.requests).toHaveLength(3);
  });

  it("throws TimeoutError naming the last failure when the server never gets healthy", async () => {
    server = await startServer(errorBody(503, "UNAVAILABLE", "still starting"));
    const { client } = testClient(server.baseUrl, {}, { sleep });
    const error = await client.waitForHealthy({ timeout: 300, interval: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(300);
    expect((error as TimeoutError).cause).toBeInstanceOf(ApiError);
    expect((error as Error).message).toContain("GET /health did not answer 200 within 300 ms");
    expect((error as Error).message).toContain("still starting");
    expect(server.requests.length).toBeGreaterThan(1);
  });

  it("keeps polling through refused connections until its deadline", async () => {
    const port = await unusedPort();
    let calls = 0;
    const { client } = testClient(
      `http://127.0.0.1:${port}/api/v1`,
      {
        fetch: (url, init) => {
          calls += 1;
          return fetch(url, init);
        },
      },
      { sleep },
    );
    const error = await client.waitForHealthy({ timeout: 200, interval: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).cause).toBeInstanceOf(ConnectionError);
    expect(calls).toBeGreaterThan(1);
  });

  it("stops with RequestAbortedError as soon as its signal aborts", async () => {
    server = await startServer(errorBody(503, "UNAVAILABLE", "starting"));
    const { client } = testClient(server.baseUrl, {}, { sleep });
    const controller = new AbortController();
    const waiting = client.waitForHealthy({ timeout: 60_000, interval: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(server.requests).toHaveLength(1);
  });
});
