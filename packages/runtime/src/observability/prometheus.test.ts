import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { awayFromMinuteEdge } from "../../../../test/support/rate-windows.js";
import { sampleAgent, type TestRuntime, useTestRuntime } from "../../../../test/support/runtime.js";
import { loadConfig } from "../config/load.js";

async function scrape(server: TestRuntime, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.runtime.url}/metrics`, { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  const match = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return match ? Number(match.value ?? match.count) : 0;
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`Prometheus metrics on ${target.name}`, () => {
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 2 });

    it("serves valid exposition to loopback, with process metrics", async () => {
      const { status, type, text } = await scrape(server);
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusTextFormat(text);
      const names = families.map((f) => f.name);
      expect(names).toEqual(
        expect.arrayContaining([
          "process_cpu_user_seconds_total",
          "process_resident_memory_bytes",
          "nodejs_eventloop_lag_seconds",
          "symbiont_http_requests_total",
          "symbiont_http_request_duration_seconds",
          "symbiont_auth_failures_total",
          "symbiont_rate_limit_rejections_total",
          "symbiont_agents",
        ]),
      );
      expect(families.find((f) => f.name === "symbiont_http_request_duration_seconds")?.type).toBe(
        "HISTOGRAM",
      );
    });

    it("moves its counters as requests are made, by route template, never by raw id", async () => {
      const before = (await scrape(server)).text;
      const list = { method: "GET", route: "/api/v1/agents", status: "200" };
      await server.call("POST", "/agents", { body: sampleAgent("counted") });
      for (let i = 0; i < 3; i++) await server.call("GET", "/agents");
      await server.call("GET", "/agents/counted");
      await server.call("GET", "/agents/nobody-at-all");
      await server.call("GET", "/agents", { headers: { authorization: "Bearer sym_nope_nope" } });
      await server.call("GET", "/no/such/route");
      const after = (await scrape(server)).text;

      expect(
        sample(after, "symbiont_http_requests_total", list) -
          sample(before, "symbiont_http_requests_total", list),
      ).toBe(3);
      // The parser keeps no labels on histograms; their _count series says the same.
      const counted = (text: string) =>
        Number(
          /^symbiont_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/agents",status="200"\} (\d+)$/m.exec(
            text,
          )?.[1] ?? 0,
        );
      expect(counted(after) - counted(before)).toBe(3);
      const one = { method: "GET", route: "/api/v1/agents/:agent_id" };
      expect(sample(after, "symbiont_http_requests_total", { ...one, status: "200" })).toBeGreaterThanOrEqual(
        1,
      );
      expect(sample(after, "symbiont_http_requests_total", { ...one, status: "404" })).toBeGreaterThanOrEqual(
        1,
      );
      expect(
        sample(after, "symbiont_http_requests_total", { route: "unmatched", status: "404" }),
      ).toBeGreaterThanOrEqual(1);
      expect(after).not.toContain("nobody-at-all");
      expect(after).not.toContain("/no/such/route");
      expect(
        sample(after, "symbiont_auth_failures_total", { reason: "invalid" }) -
          sample(before, "symbiont_auth_failures_total", { reason: "invalid" }),
      ).toBe(1);
      expect(sample(after, "symbiont_agents", { state: "idle" })).toBeGreaterThanOrEqual(1);
    });

    it("counts rate-limit rejections by budget", async () => {
      await awayFromMinuteEdge();
      const before = sample((await scrape(server)).text, "symbiont_rate_limit_rejections_total", {
        budget: "auth",
      });
      for (let i = 0; i < 3; i++) {
        await server.call("POST", "/auth/login", {
          body: { username: "nobody", password: "not a password" },
          headers: { authorization: "" },
        });
      }
      const after = sample((await scrape(server)).text, "symbiont_rate_limit_rejections_total", {
        budget: "auth",
      });
      expect(after - before).toBe(1);
    });
  });
}

describe("who may scrape /metrics", () => {
  const server = useTestRuntime(databaseTargets[0]!, {
    metricsAllowlist: ["10.0.0.0/8", "fd00::/8"],
    metricsScrapeToken: "scrape-token-0123456789",
  });

  it("refuses addresses outside the allowlist unless they send the scrape token", async () => {
    const none = await scrape(server);
    expect(none.status).toBe(403);
    expect(JSON.parse(none.text).code).toBe("FORBIDDEN");
    const wrong = await scrape(server, { authorization: "Bearer not-the-scrape-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain("scrape-token-0123456789");
    const right = await scrape(server, { authorization: "Bearer scrape-token-0123456789" });
    expect(right.status).toBe(200);
    expect(right.text).toContain("symbiont_http_requests_total");
    // The API key is no scrape token.
    expect((await scrape(server, { authorization: "Bearer test-key-0123456789abcdef" })).status).toBe(401);
  });
});

describe("Prometheus switched off", () => {
  const server = useTestRuntime(databaseTargets[0]!, { prometheus: false });

  it("has no /metrics", async () => {
    expect((await scrape(server)).status).toBe(404);
  });
});

describe("the scrape allowlist setting", () => {
  it("names a bad entry", () => {
    expect(() =>
      loadConfig({ env: { SYMBIONT_METRICS_ALLOWLIST: "127.0.0.1, 10.0.0.0/99" }, flags: {} }),
    ).toThrow(/metricsAllowlist.*CIDR/s);
    expect(
      loadConfig({ env: { SYMBIONT_METRICS_ALLOWLIST: "10.1.2.3, fd00::/8" }, flags: {} }).metricsAllowlist,
    ).toEqual(["10.1.2.3", "fd00::/8"]);
  });
});
