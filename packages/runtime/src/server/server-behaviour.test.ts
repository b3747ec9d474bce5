import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { ErrorBody, HealthResponse, routes, SystemMetrics } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { loadConfig } from "../config/load.js";

const sqlite = databaseTargets[0]!;

describe("the HTTP server", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  const logLines: string[] = [];

  beforeAll(async () => {
    database = await sqlite.create();
    const logStream = new PassThrough();
    logStream.on("data", (chunk: Buffer) =>
      logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
    );
    writeFileSync(join(database.dataDir, "symbiont.yaml"), "logLevel: debug\n");
    server = await startTestRuntime(
      database,
      { logLevel: "debug" },
      {
        logStream,
        loadConfig: () =>
          loadConfig({
            env: {},
            cwd: database.dataDir,
            flags: { port: 0, dataDir: database.dataDir, apiKey: TEST_API_KEY },
          }),
      },
    );
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("answers health with the contract's shape", async () => {
    const health = HealthResponse.parse((await server.call("GET", "/health")).body);
    expect(health.status).toBe("healthy");
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers readiness once the database answers", async () => {
    const ready = await server.call("GET", "/ready", { headers: { authorization: "" } });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", checks: { database: { ok: true } } });
  });

  it("measures system metrics from the real process and host", async () => {
    await server.call("POST", "/agents", { body: sampleAgent("counted") });
    const metrics = SystemMetrics.parse((await server.call("GET", "/metrics")).body);
    expect(metrics.memory_usage_bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(metrics.memory_usage_percent).toBeGreaterThan(0);
    expect(metrics.disk_usage_bytes).toBeGreaterThan(0);
    expect(metrics.disk_usage_percent).toBeGreaterThan(0);
    expect(metrics.disk_usage_percent).toBeLessThanOrEqual(100);
    expect(metrics.total_agents).toBe(1);
    expect(metrics.active_agents).toBe(0);
    for (const key of ["uptime_seconds", "memory_usage_bytes", "disk_usage_bytes", "total_agents"] as const) {
      expect(Number.isInteger(metrics[key])).toBe(true);
    }
  });

  it("answers unknown routes with a JSON 404, never a redirect", async () => {
    for (const path of ["/nope", "/agents/x/unknown", "/api/v2/agents"]) {
      const response = await server.call("GET", path);
      expect(response.status, path).toBe(404);
      expect(ErrorBody.parse(response.body).code).toMatch(/NOT_FOUND/);
    }
  });

  it("answers an empty id segment with a 400 naming the parameter", async () => {
    const response = await server.call("GET", "/agents/");
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error).toContain("params.agent_id");
  });

  it("echoes a sane X-Request-Id and puts it in error bodies; makes one up otherwise", async () => {
    const given = await server.call("GET", "/agents/missing", { headers: { "x-request-id": "trace-123" } });
    expect(given.headers.get("x-request-id")).toBe("trace-123");
    expect(ErrorBody.parse(given.body).request_id).toBe("trace-123");
    const hostile = await server.call("GET", "/health", {
      headers: { "x-request-id": "bad id\twith spaces" },
    });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts a bodyless POST with or without a JSON content type", async () => {
    const bare = await fetch(`${server.api}/admin/config/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-length": "0" },
    });
    expect(bare.status).toBe(200);
    const typed = await server.call("POST", "/admin/config/reload", {
      raw: "",
      headers: { "content-type": "application/json" },
    });
    expect(typed.status).toBe(200);
  });

  it("reloads the log level from the config file and reports keys that need a restart", async () => {
    writeFileSync(join(database.dataDir, "symbiont.yaml"), "logLevel: warn\nbodyLimit: 4096\n");
    const response = await server.call("POST", "/admin/config/reload");
    expect(response.body).toEqual({
      reloaded: true,
      applied: ["logLevel"],
      requires_restart: expect.arrayContaining(["bodyLimit"]),
    });
    expect(server.runtime.log.level).toBe("warn");
    expect(server.runtime.config().logLevel).toBe("warn");
    expect(server.runtime.config().bodyLimit).toBe(1048576);
    writeFileSync(join(database.dataDir, "symbiont.yaml"), "logLevel: debug\n");
    await server.call("POST", "/admin/config/reload");
    expect(server.runtime.log.level).toBe("debug");
  });

  it("answers a reload whose new configuration is invalid with a 4xx and keeps the running one", async () => {
    writeFileSync(join(database.dataDir, "symbiont.yaml"), "logLevel: shouting\n");
    const response = await server.call("POST", "/admin/config/reload");
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error).toContain("logLevel");
    expect(server.runtime.log.level).toBe("debug");
    writeFileSync(join(database.dataDir, "symbiont.yaml"), "logLevel: debug\n");
  });

  it("logs one line per request with its id, and never the credential", async () => {
    await server.call("GET", "/agents", { headers: { "x-request-id": "log-check-1" } });
    await server.call("GET", "/agents", {
      headers: {
        authorization: "Bearer sym_leak_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
        "x-request-id": "log-check-2",
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = logLines.filter((line) => line.includes("log-check-"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const entry = JSON.parse(lines.find((line) => line.includes("log-check-1"))!) as Record<string, unknown>;
    expect(entry).toMatchObject({ reqId: "log-check-1", method: "GET", status: 200, msg: "request" });
    const all = logLines.join("\n");
    expect(all).not.toContain(TEST_API_KEY);
    expect(all).not.toContain("ZZZZZZZZZZZZZZZZ");
  });

  it("serves an OpenAPI 3.1 document covering every route, and the docs page", async () => {
    const document = (await server.call("GET", "/openapi.json", { headers: { authorization: "" } })).body as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(document.openapi).toBe("3.1.0");
    const operations = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId),
    );
    expect(operations.sort()).toEqual(
      Object.values(routes)
        .map((route) => route.id)
        .sort(),
    );
    const docs = await fetch(`${server.api}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("swagger");
  });
});
