/**
 * Throughput of the runtime's authenticated GET /agents (and unauthenticated GET /health) against a bare
 * Fastify hello-world, each server in its own child process, loaded alternately by autocannon from here.
 */
import path from "node:path";
import autocannon from "autocannon";
import { SignJWT } from "jose";
import {
  BENCH_JWT_SECRET,
  cpuSeconds,
  log,
  makeTempDir,
  ROOT,
  type RuntimeReady,
  round,
  spawnNode,
  spawnRuntime,
  stop,
  waitForReady,
} from "./processes.js";

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
  pipelining: number;
  rounds: number;
}

export const AGENT_COUNT = 100;
export const RATIO_TARGET = 0.5;

interface Target {
  label: string;
  url: string;
  headers: Record<string, string>;
  pid: number | undefined;
}

interface RunFigures {
  req_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  /** CPU the server process used during the measured window, in % of one core (Linux only). */
  server_cpu_pct: number | null;
  /** Server CPU time per completed request, in microseconds: the cost per request whoever the bottleneck is. */
  server_cpu_us_per_req: number | null;
}

function fire(target: Target, settings: LoadSettings, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    headers: target.headers,
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationS,
  });
}

async function measure(target: Target, settings: LoadSettings): Promise<RunFigures> {
  if (settings.warmupS > 0) await fire(target, settings, settings.warmupS);
  const cpuBefore = await cpuSeconds(target.pid);
  const started = performance.now();
  const result = await fire(target, settings, settings.durationS);
  const wallS = (performance.now() - started) / 1000;
  const cpuAfter = await cpuSeconds(target.pid);
  const cpuUsed = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  const figures: RunFigures = {
    req_per_s: round(result.requests.mean),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    server_cpu_pct: cpuUsed === null ? null : round((cpuUsed / wallS) * 100),
    server_cpu_us_per_req: cpuUsed === null ? null : round((cpuUsed / result.requests.total) * 1e6),
  };
  log(
    `  ${target.label}: ${figures.req_per_s} req/s, p50 ${figures.latency_p50_ms} ms, p99 ${figures.latency_p99_ms} ms, ` +
      `non-2xx ${figures.non_2xx}, errors ${figures.errors}, server CPU ${figures.server_cpu_pct ?? "?"}% (${figures.server_cpu_us_per_req ?? "?"} µs/req)`,
  );
  return figures;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

const meanOrNull = (values: (number | null)[]) =>
  values.some((value) => value === null) ? null : round(mean(values as number[]));

/** Per-run figures plus their mean (req/s, latencies) or sum (counts). */
function aggregate(runs: RunFigures[]) {
  return {
    req_per_s_mean: round(mean(runs.map((run) => run.req_per_s))),
    latency_p50_ms: round(mean(runs.map((run) => run.latency_p50_ms)), 2),
    latency_p99_ms: round(mean(runs.map((run) => run.latency_p99_ms)), 2),
    non_2xx: runs.reduce((sum, run) => sum + run.non_2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
    server_cpu_pct: meanOrNull(runs.map((run) => run.server_cpu_pct)),
    server_cpu_us_per_req: meanOrNull(runs.map((run) => run.server_cpu_us_per_req)),
    runs,
  };
}

async function expectJson(url: string, init: RequestInit, status: number): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${init.method ?? "GET"} ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** An admin access token as v1 clients carry it, signed with the secret the runtime was started with. */
async function accessToken(): Promise<string> {
  return new SignJWT({ type: "access", roles: ["admin"], permissions: ["read", "write"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("bench")
    .setIssuer("symbiont")
    .setAudience("symbiont-api")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET));
}

/** A user logged in through the runtime's own login: its EdDSA access token. */
async function sessionToken(apiUrl: string, key: string): Promise<string> {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const user = { username: "bench-user", password: "bench user passphrase", roles: ["operator"] };
  await expectJson(`${apiUrl}/users`, { method: "POST", headers, body: JSON.stringify(user) }, 201);
  const tokens = (await expectJson(
    `${apiUrl}/auth/login`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      // Login takes the credentials only; `roles` belongs to creating the user.
      body: JSON.stringify({ username: user.username, password: user.password }),
    },
    200,
  )) as { access_token: string };
  return tokens.access_token;
}

async function seedAgents(apiUrl: string, key: string): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  for (let i = 0; i < AGENT_COUNT; i++) {
    const id = `bench-agent-${String(i).padStart(3, "0")}`;
    const body = {
      id,
      name: `Bench agent ${i}`,
      description: "Created by the benchmark so the list is non-trivial",
      system_prompt: "You are a benchmark fixture.",
      tools: [],
      model: "gpt-4o-mini",
      temperature: 0.7,
      top_p: 1,
      max_tokens: 1024,
    };
    await expectJson(`${apiUrl}/agents`, { method: "POST", headers, body: JSON.stringify(body) }, 201);
  }
  const ids = await expectJson(`${apiUrl}/agents`, { headers }, 200);
  if (!Array.isArray(ids) || ids.length !== AGENT_COUNT) {
    throw new Error(`GET /agents answered ${JSON.stringify(ids).slice(0, 200)}, expected ${AGENT_COUNT} ids`);
  }
}

export async function runHttpThroughput(settings: LoadSettings) {
  log("http: starting bare Fastify and the runtime");
  const bare = spawnNode([path.join(ROOT, "bench/bare-fastify.mjs")]);
  const runtime = spawnRuntime(await makeTempDir());
  try {
    const [bareReady, runtimeReady] = await Promise.all([
      waitForReady<{ event: "ready"; url: string }>(bare),
      waitForReady<RuntimeReady>(runtime),
    ]);
    const key = runtimeReady.admin_key;
    if (!key) throw new Error("the runtime printed no admin_key on its first start");
    const apiUrl = runtimeReady.api_url;
    await seedAgents(apiUrl, key);
    await expectJson(`${bareReady.url}/`, {}, 200);
    await expectJson(`${apiUrl}/health`, {}, 200);
    log(`http: seeded ${AGENT_COUNT} agents; ${settings.rounds} rounds of ${settings.durationS} s each`);

    const targets = {
      baseline: { label: "bare Fastify GET /", url: `${bareReady.url}/`, headers: {}, pid: bare.pid },
      agents: {
        label: "runtime GET /agents",
        url: `${apiUrl}/agents`,
        headers: { authorization: `Bearer ${key}` },
        pid: runtime.pid,
      },
      agentsJwt: {
        label: "runtime GET /agents (JWT)",
        url: `${apiUrl}/agents`,
        headers: { authorization: `Bearer ${await accessToken()}` },
        pid: runtime.pid,
      },
      agentsSession: {
        label: "runtime GET /agents (session token)",
        url: `${apiUrl}/agents`,
        headers: { authorization: `Bearer ${await sessionToken(apiUrl, key)}` },
        pid: runtime.pid,
      },
      health: { label: "runtime GET /health", url: `${apiUrl}/health`, headers: {}, pid: runtime.pid },
    } satisfies Record<string, Target>;
    const runs: Record<keyof typeof targets, RunFigures[]> = {
      baseline: [],
      agents: [],
      agentsJwt: [],
      agentsSession: [],
      health: [],
    };
    for (let i = 1; i <= settings.rounds; i++) {
      log(`http: round ${i}/${settings.rounds}`);
      for (const name of ["baseline", "agents", "agentsJwt", "agentsSession", "health"] as const) {
        runs[name].push(await measure(targets[name], settings));
      }
    }

    const baseline = { endpoint: "GET / on bare Fastify (logger off)", ...aggregate(runs.baseline) };
    const agents = aggregate(runs.agents);
    const agentsJwt = aggregate(runs.agentsJwt);
    const agentsSession = aggregate(runs.agentsSession);
    const health = aggregate(runs.health);
    const overhead = (authenticated: { server_cpu_us_per_req: number | null }) =>
      authenticated.server_cpu_us_per_req === null || health.server_cpu_us_per_req === null
        ? null
        : round(authenticated.server_cpu_us_per_req - health.server_cpu_us_per_req);
    const agentsRatio = round(agents.req_per_s_mean / baseline.req_per_s_mean, 3);
    const load = {
      connections: settings.connections,
      duration_s: settings.durationS,
      warmup_s: settings.warmupS,
      pipelining: settings.pipelining,
      rounds: settings.rounds,
    };
    return [
      {
        name: "agents_list_throughput",
        unit: "req/s",
        runtime: {
          endpoint: `GET /api/v1/agents (${AGENT_COUNT} agents, minted admin key: SHA-256 of the secret checked on every request)`,
          ...agents,
        },
        baseline,
        ratio: agentsRatio,
        target: RATIO_TARGET,
        meets_target: agentsRatio >= RATIO_TARGET,
        agents_vs_health: round(agents.req_per_s_mean / health.req_per_s_mean, 3),
        load,
      },
      {
        name: "auth_overhead",
        unit: "µs of server CPU per request",
        runtime: {
          api_key: { endpoint: "GET /api/v1/agents with an API key", ...agents },
          jwt: { endpoint: "GET /api/v1/agents with an HS256 access token", ...agentsJwt },
          session: {
            endpoint: "GET /api/v1/agents with the runtime's own EdDSA access token (login session)",
            ...agentsSession,
          },
        },
        baseline: { endpoint: "GET /api/v1/health on the same runtime (no auth, no DB)", ...health },
        api_key_us_per_req: overhead(agents),
        jwt_us_per_req: overhead(agentsJwt),
        session_us_per_req: overhead(agentsSession),
        target: null,
        meets_target: null,
        note: "server CPU per request of the authenticated route minus the unauthenticated one: authentication plus the (cached) list; a session token also checks that its session is live",
        load,
      },
      {
        name: "health_throughput",
        unit: "req/s",
        runtime: { endpoint: "GET /api/v1/health (no auth, no DB)", ...health },
        baseline,
        ratio: round(health.req_per_s_mean / baseline.req_per_s_mean, 3),
        target: null,
        meets_target: null,
        note: "informational: the runtime's framework cost without auth or DB; compare with agents_list_throughput",
        load,
      },
    ];
  } finally {
    await Promise.all([stop(bare), stop(runtime)]);
  }
}
