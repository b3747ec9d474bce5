/**
 * Deployments under the local executor, against a real `symbiont up`: how long from POST
 * /agents/deploy until the replica reports ready, from `kill -9` of a replica until its successor
 * is ready, and how long a stop takes. Side by side with the floor in this process: spawning a bare
 * `node` child that sends one IPC message (what any supervised Node replica costs to start) and
 * ending one with SIGTERM. Readiness is polled every 10 ms, so figures carry up to 10 ms of it.
 */
import { spawn } from "node:child_process";
import {
  CLI,
  cleanEnv,
  log,
  makeTempDir,
  type RuntimeReady,
  round,
  spawnNode,
  stop,
  summarize,
  UNREACHABLE_RATE_LIMITS,
  waitForReady,
} from "./processes.js";

interface Deployment {
  deployment_id: string;
  status: string;
  instances: { pid: number | null; state: string }[];
}

async function call(method: string, url: string, key: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as unknown;
  if (!response.ok)
    throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

async function pollUntil(
  read: () => Promise<Deployment>,
  done: (d: Deployment) => boolean,
): Promise<Deployment> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const deployment = await read();
    if (done(deployment)) return deployment;
    if (Date.now() > deadline)
      throw new Error(`deployment stuck: ${JSON.stringify(deployment).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A bare child that says "ready" over IPC: the floor of starting any supervised Node process. */
function bareChild(): Promise<{ ms: number; stop: () => Promise<number> }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["-e", "process.send({type:'ready'}); setInterval(() => {}, 1000)"], {
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", () => {
      const ms = performance.now() - started;
      resolve({
        ms,
        stop: () =>
          new Promise((done) => {
            const stopping = performance.now();
            child.once("exit", () => done(performance.now() - stopping));
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

export async function runDeploymentsBenchmark(rounds: number) {
  const dataDir = await makeTempDir();
  const child = spawnNode(
    [CLI, "up", "--port", "0", "--data-dir", dataDir, "--json", "--log-level", "warn"],
    {
      cwd: dataDir,
      env: { ...cleanEnv(), ...UNREACHABLE_RATE_LIMITS, SYMBIONT_DEPLOYMENT_STOP_GRACE_MS: "5000" },
    },
  );
  try {
    const ready = await waitForReady<RuntimeReady>(child);
    const key = ready.admin_key;
    if (!key) throw new Error("the runtime printed no admin_key on its first start");
    const api = ready.api_url;
    await call("POST", `${api}/agents`, key, {
      id: "bench-svc",
      name: "bench",
      description: "benchmark agent",
      system_prompt: "Answer briefly.",
      tools: [],
      model: "bench",
      temperature: 0,
      top_p: 1,
      max_tokens: 256,
    });
    const get = (id: string) => () =>
      call("GET", `${api}/agents/deployments/${id}`, key) as Promise<Deployment>;
    const deployMs: number[] = [];
    const recoverMs: number[] = [];
    const stopMs: number[] = [];
    const bareStartMs: number[] = [];
    const bareStopMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let started = performance.now();
      const deployed = (await call("POST", `${api}/agents/deploy`, key, {
        agent_id: "bench-svc",
      })) as Deployment;
      const running = await pollUntil(get(deployed.deployment_id), (d) => d.status === "running");
      deployMs.push(performance.now() - started);

      const pid = running.instances[0]?.pid as number;
      started = performance.now();
      process.kill(pid, "SIGKILL");
      await pollUntil(
        get(deployed.deployment_id),
        (d) => d.instances[0]?.state === "running" && d.instances[0]?.pid !== pid,
      );
      recoverMs.push(performance.now() - started);

      started = performance.now();
      await call("POST", `${api}/agents/deployments/${deployed.deployment_id}/stop`, key);
      stopMs.push(performance.now() - started);

      const bare = await bareChild();
      bareStartMs.push(bare.ms);
      bareStopMs.push(await bare.stop());
    }
    log(`deployments: ${rounds} deploy / kill -9 / stop rounds`);
    const deploy = summarize(deployMs);
    const recover = summarize(recoverMs);
    const bareStart = summarize(bareStartMs);
    return [
      {
        name: "deployment_start",
        unit: "ms",
        runtime: {
          measures: "POST /agents/deploy until GET shows running (1 replica, real worker)",
          ...deploy,
        },
        baseline: { measures: "spawn a bare node child until its first IPC message", ...bareStart },
        overhead_ms: round(deploy.median - bareStart.median, 1),
      },
      {
        name: "deployment_recovery_after_kill_9",
        unit: "ms",
        runtime: {
          measures:
            "kill -9 of the replica until its successor is running (includes the 250 ms first backoff)",
          ...recover,
        },
        baseline: { measures: "spawn a bare node child until its first IPC message", ...bareStart },
        target_ms: 2000,
      },
      {
        name: "deployment_stop",
        unit: "ms",
        runtime: {
          measures: "POST .../stop until it answers (SIGTERM, exit, group checked empty)",
          ...summarize(stopMs),
        },
        baseline: { measures: "SIGTERM to a bare node child until it exits", ...summarize(bareStopMs) },
      },
    ];
  } finally {
    await stop(child);
  }
}
