import { afterEach, describe, expect, it } from "vitest";
import {
  errorBody,
  hang,
  json,
  type Reply,
  reset,
  type ScriptedServer,
  startServer,
  testClient,
  unusedPort,
} from "../test-support/http-server.js";
import { ApiError, ConnectionError, RateLimitError, RequestAbortedError, TimeoutError } from "./errors.js";
import { sleep } from "./retry.js";

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const unavailable = errorBody(503, "UNAVAILABLE", "database unreachable");
const ok = json(200, ["a", "b"]);
const patch = { name: "renamed" };

function withRetryAfter(status: number, retryAfter: string): Reply {
  return (res) => {
    res.writeHead(status, { "Content-Type": "application/json", "Retry-After": retryAfter });
    res.end(
      JSON.stringify({
        error: "not now",
        code: status === 429 ? "RATE_LIMITED" : "UNAVAILABLE",
        details: null,
      }),
    );
  };
}

describe("idempotent requests are retried on 503, 429 and network failures", () => {
  it("retries a GET answered 503 up to maxRetries, then surfaces the 503", async () => {
    server = await startServer(unavailable);
    const { client, delays } = testClient(server.baseUrl, { maxRetries: 2 });
    const error = await client.agents.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it("returns the answer of the first attempt that succeeds", async () => {
    server = await startServer(unavailable, errorBody(429, "RATE_LIMITED", "slow down"), ok);
    const { client } = testClient(server.baseUrl, { maxRetries: 2 });
    await expect(client.agents.list()).resolves.toEqual(["a", "b"]);
    expect(server.requests).toHaveLength(3);
  });

  it("retries a GET whose connection is reset and succeeds once the server answers", async () => {
    server = await startServer(reset, reset, ok);
    const { client } = testClient(server.baseUrl, { maxRetries: 2 });
    await expect(client.agents.list()).resolves.toEqual(["a", "b"]);
    expect(server.requests).toHaveLength(3);
  });

  it("surfaces a ConnectionError once resets outlast the retries", async () => {
    server = await startServer(reset);
    const { client } = testClient(server.baseUrl, { maxRetries: 1 });
    await expect(client.agents.list()).rejects.toBeInstanceOf(ConnectionError);
    expect(server.requests).toHaveLength(2);
  });

  it("retries DELETE like GET", async () => {
    server = await startServer(unavailable, json(200, { deleted: true, agent_id: "a" }));
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.delete("a")).resolves.toEqual({ deleted: true, agent_id: "a" });
    expect(server.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("gives up with a ConnectionError naming the refusal after the retries when nothing listens", async () => {
    const port = await unusedPort();
    let calls = 0;
    const { client, delays } = testClient(`http://127.0.0.1:${port}/api/v1`, {
      maxRetries: 2,
      fetch: (url, init) => {
        calls += 1;
        return fetch(url, init);
      },
    });
    const error = await client.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).toContain(
      `GET /health: could not reach http://127.0.0.1:${port}/api/v1`,
    );
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
  });
});

describe("retry pauses", () => {
  it("wait as long as Retry-After says, in seconds", async () => {
    server = await startServer(withRetryAfter(429, "1"), withRetryAfter(503, "0"), ok);
    const { client, delays } = testClient(server.baseUrl, { maxRetries: 2 });
    await expect(client.agents.list()).resolves.toEqual(["a", "b"]);
    expect(delays).toEqual([1000, 0]);
    expect(server.requests).toHaveLength(3);
  });

  it("read a Retry-After HTTP date and cap a very long Retry-After at 60 seconds", async () => {
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    server = await startServer(withRetryAfter(503, inFiveSeconds), withRetryAfter(429, "3600"), ok);
    const { client, delays } = testClient(server.baseUrl, { maxRetries: 2 });
    await client.agents.list();
    expect(delays[0]).toBeGreaterThanOrEqual(3_000);
    expect(delays[0]).toBeLessThanOrEqual(5_000);
    expect(delays[1]).toBe(60_000);
  });

  it("back off exponentially from the base delay under full jitter, up to the cap", async () => {
    server = await startServer(unavailable);
    const { client, delays } = testClient(
      server.baseUrl,
      { maxRetries: 6 },
      { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 },
    );
    await expect(client.agents.list()).rejects.toBeInstanceOf(ApiError);
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(server.requests).toHaveLength(7);
  });
});

describe("non-idempotent requests are sent once", () => {
  it("never retries a POST, even on 503", async () => {
    server = await startServer(unavailable);
    const { client, delays } = testClient(server.baseUrl, { maxRetries: 5 });
    await expect(client.system.reloadConfig()).rejects.toBeInstanceOf(ApiError);
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("never retries a POST answered 429 with Retry-After", async () => {
    server = await startServer(withRetryAfter(429, "0"));
    const { client } = testClient(server.baseUrl, { maxRetries: 5 });
    await expect(client.system.reloadConfig({ maxRetries: 5 })).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
  });

  it("never retries a PATCH, even after a connection reset", async () => {
    server = await startServer(reset, json(200, {}));
    const { client } = testClient(server.baseUrl, { maxRetries: 5 });
    await expect(client.agents.update("a", patch)).rejects.toBeInstanceOf(ConnectionError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("timeouts and aborts", () => {
  it("throws TimeoutError when the server never answers within the per-request timeout", async () => {
    server = await startServer(hang);
    const { client } = testClient(server.baseUrl, { maxRetries: 0 });
    const error = await client.agents.list({ timeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(100);
    expect((error as Error).message).toBe("GET /agents: no complete answer within 100 ms");
    expect(server.requests).toHaveLength(1);
  });

  it("retries a timed-out GET before the TimeoutError surfaces", async () => {
    server = await startServer(hang);
    const { client } = testClient(server.baseUrl, { maxRetries: 1, timeout: 100 });
    await expect(client.agents.list()).rejects.toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it("stops at once with RequestAbortedError and no retry when the caller aborts mid-request", async () => {
    const controller = new AbortController();
    server = await startServer((res, req) => {
      hang(res, req);
      controller.abort(new Error("user pressed cancel"));
    });
    const { client, delays } = testClient(server.baseUrl, { maxRetries: 3 });
    const error = await client.agents.list({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect((error as RequestAbortedError).cause).toEqual(new Error("user pressed cancel"));
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("stops during the pause between retries when the caller aborts there", async () => {
    const controller = new AbortController();
    server = await startServer(withRetryAfter(503, "30"));
    const { client } = testClient(
      server.baseUrl,
      { maxRetries: 3 },
      {
        sleep: (ms, signal) => {
          controller.abort();
          return sleep(ms, signal);
        },
      },
    );
    await expect(client.agents.list({ signal: controller.signal })).rejects.toBeInstanceOf(
      RequestAbortedError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing when the signal is already aborted", async () => {
    server = await startServer(ok);
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.list({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      RequestAbortedError,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe("per-request options override the client's", () => {
  it("lets one request retry more, or less, than the client default", async () => {
    server = await startServer(unavailable);
    const { client } = testClient(server.baseUrl, { maxRetries: 0 });
    await expect(client.agents.list({ maxRetries: 2 })).rejects.toBeInstanceOf(ApiError);
    expect(server.requests).toHaveLength(3);

    const { client: eager } = testClient(server.baseUrl, { maxRetries: 4 });
    await expect(eager.agents.list({ maxRetries: 0 })).rejects.toBeInstanceOf(ApiError);
    expect(server.requests).toHaveLength(4);
  });

  it("lets one request wait longer than the client's timeout", async () => {
    server = await startServer((res, req) => {
      setTimeout(() => ok(res, req), 150);
    });
    const { client } = testClient(server.baseUrl, { maxRetries: 0, timeout: 50 });
    await expect(client.agents.list()).rejects.toBeInstanceOf(TimeoutError);
    await expect(client.agents.list({ timeout: 5_000 })).resolves.toEqual(["a", "b"]);
  });

  it("lets request headers override client headers while keeping the rest", async () => {
    server = await startServer(ok);
    const { client } = testClient(server.baseUrl, { headers: { "X-Team": "core", "X-Trace": "client" } });
    await client.agents.list({ headers: { "x-trace": "request" } });
    expect(server.requests[0]!.headers["x-team"]).toBe("core");
    expect(server.requests[0]!.headers["x-trace"]).toBe("request");
  });

  it("refuses invalid per-request settings before sending anything", async () => {
    server = await startServer(ok);
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.list({ timeout: -1 })).rejects.toThrow("Invalid timeout");
    await expect(client.agents.list({ maxRetries: 1.5 })).rejects.toThrow("Invalid maxRetries");
    expect(server.requests).toHaveLength(0);
  });
});
