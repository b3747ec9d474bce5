/**
 * Requests/s through a dynamic endpoint (/hooks/*: one catch-all route and an in-memory routing table
 * of every tenant's endpoints) against the very same dispatcher mounted as a static Fastify route, in
 * one Fastify app, loaded alternately by autocannon. Deliveries the payload filter ignores, so what is
 * measured is routing, parsing, authentication and the checks, not the agent: an open endpoint, and
 * one that authenticates an API key. (Runs are measured on their own in runs.ts; started at this
 * rate they pile up and the figure would be the run loop's backlog.)
 */
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import Fastify from "fastify";
import { loadConfig } from "../packages/runtime/src/config/load.js";
import { hookRequestOf, mountHooks } from "../packages/runtime/src/endpoints/endpoint-routes.js";
import { startRuntime } from "../packages/runtime/src/runtime.js";
import type { LoadSettings } from "./http-throughput.js";
import { log, makeTempDir, round } from "./processes.js";

const API_KEY = "bench-endpoints-key-0123456789abcdef";
/** Endpoints besides the measured one, so the table lookup is not a one-entry map. */
const OTHER_ENDPOINTS = 200;

interface Figures {
  req_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
  status_codes: Record<string, number>;
}

async function fire(
  url: string,
  body: string,
  durationS: number,
  headers: Record<string, string> = {},
): Promise<Figures> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    connections: 20,
    duration: durationS,
  });
  return {
    req_per_s: round(result.requests.mean),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    status_codes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats?.count ?? 0]),
    ),
  };
}

const mean = (runs: Figures[], key: "req_per_s" | "latency_p50_ms" | "latency_p99_ms") =>
  round(runs.reduce((sum, r) => sum + r[key], 0) / runs.length);

export async function runDynamicEndpoints(settings: LoadSettings) {
  const dataDir = await makeTempDir();
  const config = loadConfig({
    env: {},
    flags: {
      port: 0,
      host: "127.0.0.1",
      logLevel: "silent",
      dataDir,
      apiKey: API_KEY,
      rateLimitIpPerMinute: 0,
      rateLimitReadPerMinute: 0,
      rateLimitWritePerMinute: 0,
    },
  });
  const runtime = await startRuntime(config);
  const bench = Fastify({ logger: false });
  try {
    const api = (method: string, path: string, body: unknown) =>
      fetch(`${runtime.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const agent = {
      id: "bench",
      name: "bench",
      description: "bench",
      system_prompt: "Be brief.",
      tools: [],
      model: "bench",
      temperature: 0,
      top_p: 1,
      max_tokens: 64,
    };
    if ((await api("POST", "/agents", agent)).status !== 201)
      throw new Error("could not create the bench agent");
    for (let i = 0; i < OTHER_ENDPOINTS; i++)
      await api("POST", "/endpoints", {
        path: `/other/${i}`,
        method: "POST",
        agent_id: "bench",
        auth_required: false,
      });
    for (const [path, authRequired] of [
      ["/filtered", false],
      ["/private", true],
    ] as const) {
      const created = await api("POST", "/endpoints", {
        path,
        method: "POST",
        agent_id: "bench",
        auth_required: authRequired,
        filters: [{ path: "kind", equals: "run" }],
      });
      if (created.status !== 200) throw new Error(`could not create ${path}: ${await created.text()}`);
    }

    const { dispatcher, router } = runtime.endpoints;
    await mountHooks(bench, dispatcher, 1024 * 1024);
    // The same dispatcher, each endpoint found once up front and mounted on a route of its own.
    await bench.register(async (statics) => {
      statics.removeAllContentTypeParsers();
      statics.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
      for (const path of ["/filtered", "/private"]) {
        const record = await router.lookup("POST", path);
        if (!record) throw new Error(`endpoint ${path} not in the routing table`);
        statics.post(`/static${path}`, async (request, reply) => {
          const response = await dispatcher.serve(record, hookRequestOf(request, "/static".length));
          reply.code(response.status).type("application/json");
          return response.body;
        });
      }
    });
    await bench.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(bench.server.address() as AddressInfo).port}`;

    const scenarios = [
      {
        name: "open_filtered_delivery",
        path: "/filtered",
        body: '{"kind":"ping","n":1}',
        headers: {} as Record<string, string>,
      },
      {
        name: "authenticated_filtered_delivery",
        path: "/private",
        body: '{"kind":"ping","n":1}',
        headers: { authorization: `Bearer ${API_KEY}` },
      },
    ];
    const results: Record<string, unknown> = {};
    for (const scenario of scenarios) {
      const dynamic: Figures[] = [];
      const statically: Figures[] = [];
      const url = (prefix: string) => `${base}${prefix}${scenario.path}`;
      // A benchmark of error answers would measure nothing: both sides must answer 200 first.
      for (const prefix of ["/hooks", "/static"]) {
        const probe = await fetch(url(prefix), {
          method: "POST",
          headers: { "content-type": "application/json", ...scenario.headers },
          body: scenario.body,
        });
        if (probe.status !== 200)
          throw new Error(`${url(prefix)} answered ${probe.status}: ${await probe.text()}`);
      }
      if (settings.warmupS > 0) {
        await fire(url("/hooks"), scenario.body, settings.warmupS, scenario.headers);
        await fire(url("/static"), scenario.body, settings.warmupS, scenario.headers);
      }
      // Alternating, and in the other order every second round, so drift on a shared machine and
      // whatever the previous run left behind (runs finishing, GC) land on both sides alike.
      for (let round_ = 0; round_ < settings.rounds; round_++) {
        const order = round_ % 2 === 0 ? (["/hooks", "/static"] as const) : (["/static", "/hooks"] as const);
        for (const prefix of order)
          (prefix === "/hooks" ? dynamic : statically).push(
            await fire(url(prefix), scenario.body, settings.durationS, scenario.headers),
          );
      }
      const dynamicRps = mean(dynamic, "req_per_s");
      const staticRps = mean(statically, "req_per_s");
      log(`dynamic endpoints, ${scenario.name}: dynamic ${dynamicRps} req/s, static ${staticRps} req/s`);
      results[scenario.name] = {
        dynamic: {
          req_per_s: dynamicRps,
          latency_p50_ms: mean(dynamic, "latency_p50_ms"),
          latency_p99_ms: mean(dynamic, "latency_p99_ms"),
          non_2xx: dynamic.reduce((s, r) => s + r.non_2xx, 0),
          errors: dynamic.reduce((s, r) => s + r.errors, 0),
          rounds: dynamic,
        },
        static: {
          req_per_s: staticRps,
          latency_p50_ms: mean(statically, "latency_p50_ms"),
          latency_p99_ms: mean(statically, "latency_p99_ms"),
          non_2xx: statically.reduce((s, r) => s + r.non_2xx, 0),
          errors: statically.reduce((s, r) => s + r.errors, 0),
          rounds: statically,
        },
        dynamic_to_static_ratio: staticRps === 0 ? null : round(dynamicRps / staticRps, 3),
      };
    }
    return [
      {
        name: "dynamic_endpoint_vs_static_route",
        description:
          "POST through /hooks (catch-all + routing table of every endpoint) vs the same dispatcher on a static route, same Fastify app, alternating autocannon runs (20 connections)",
        routing_table_size: OTHER_ENDPOINTS + 2,
        duration_s: settings.durationS,
        rounds: settings.rounds,
        ...results,
      },
    ];
  } finally {
    await bench.close();
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
