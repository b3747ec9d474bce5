import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { startTestRuntime, TEST_API_KEY, type TestRuntime } from "../../../../test/support/runtime.js";
import { loadConfig } from "../config/load.js";

const CONSOLE = "https://console.example.com";

describe("hardening", () => {
  let database: FreshDatabase;
  let plain: TestRuntime;
  let withCors: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    plain = await startTestRuntime(database);
    withCors = await startTestRuntime(database, { corsOrigins: [CONSOLE] });
  });
  afterAll(async () => {
    await plain?.close();
    await withCors?.close();
    await database?.dispose();
  });

  it("sends security headers with successes, errors and unknown routes", async () => {
    for (const [path, status, auth] of [
      ["/agents", 200, TEST_API_KEY],
      ["/agents", 401, ""],
      ["/agents/nobody", 404, TEST_API_KEY],
      ["/no/such/route", 404, TEST_API_KEY],
    ] as const) {
      const response = await plain.call("GET", path, {
        headers: { authorization: auth ? `Bearer ${auth}` : "" },
      });
      expect(response.status, path).toBe(status);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("sends no CORS headers and no preflight route unless origins are configured", async () => {
    const response = await plain.call("GET", "/agents", { headers: { origin: CONSOLE } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${plain.api}/agents`, {
      method: "OPTIONS",
      headers: { origin: CONSOLE, "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a configured origin call the API, and no other", async () => {
    const allowed = await withCors.call("GET", "/agents", { headers: { origin: CONSOLE } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(CONSOLE);
    expect(allowed.headers.get("access-control-expose-headers")).toContain("x-request-id");
    const other = await withCors.call("GET", "/agents", { headers: { origin: "https://evil.example.com" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const preflight = await fetch(`${withCors.api}/agents`, {
      method: "OPTIONS",
      headers: {
        origin: CONSOLE,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(CONSOLE);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("reads corsOrigins as a comma-separated list and refuses what is not an origin", () => {
    const config = loadConfig({
      env: { SYMBIONT_CORS_ORIGINS: `${CONSOLE}, http://localhost:5173` },
      cwd: database.dataDir,
    });
    expect(config.corsOrigins).toEqual([CONSOLE, "http://localhost:5173"]);
    expect(() => loadConfig({ env: { SYMBIONT_CORS_ORIGINS: "*" }, cwd: database.dataDir })).toThrow(
      /corsOrigins.*no \*/s,
    );
    expect(() =>
      loadConfig({ env: { SYMBIONT_CORS_ORIGINS: "https://x.com/path" }, cwd: database.dataDir }),
    ).toThrow(/corsOrigins/);
  });
});
