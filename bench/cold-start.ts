/**
 * Start-up time of `symbiont up`: from spawn to the first 200 from GET /api/v1/health, on a fresh data dir
 * (cold: the database is created and migrated) and again on the same dir (warm: migrations already applied),
 * next to how long a bare `node -e ""` takes to start and exit.
 */
import { get } from "node:http";
import {
  log,
  makeTempDir,
  type RuntimeReady,
  round,
  spawnNode,
  spawnRuntime,
  stop,
  summarize,
  waitForReady,
} from "./processes.js";

export const COLD_START_TARGET_MS = 1500;

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    request.once("error", reject);
  });
}

/** Polls every 5 ms until GET answers 200 (connection refusals are retried). */
async function until200(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const code = await status(url).catch(() => 0);
    if (code === 200) return;
    if (performance.now() > deadline)
      throw new Error(`GET ${url} not 200 within ${timeoutMs} ms (last ${code})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One start of the runtime on `dataDir`: ms from spawn to the ready line and to the first healthy answer. */
async function startOnce(dataDir: string): Promise<{ readyMs: number; healthyMs: number }> {
  const started = performance.now();
  const child = spawnRuntime(dataDir);
  try {
    const ready = await waitForReady<RuntimeReady>(child);
    const readyMs = performance.now() - started;
    await until200(`${ready.api_url}/health`);
    return { readyMs, healthyMs: performance.now() - started };
  } finally {
    await stop(child);
  }
}

async function nodeBootOnce(): Promise<number> {
  const started = performance.now();
  const child = spawnNode(["-e", ""]);
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`node -e "" exited ${code}`))));
  });
  return performance.now() - started;
}

export async function runColdStart(runs: number) {
  const cold: { readyMs: number; healthyMs: number }[] = [];
  const warm: { readyMs: number; healthyMs: number }[] = [];
  const node: number[] = [];
  // Interleaved (cold, warm, node) so drift in machine load touches all three alike.
  for (let i = 1; i <= runs; i++) {
    const dataDir = await makeTempDir();
    cold.push(await startOnce(dataDir));
    warm.push(await startOnce(dataDir));
    node.push(await nodeBootOnce());
    log(
      `start ${i}/${runs}: cold ${round(cold.at(-1)!.healthyMs)} ms, warm ${round(warm.at(-1)!.healthyMs)} ms, ` +
        `node -e "" ${round(node.at(-1)!)} ms`,
    );
  }

  const baseline = { command: 'node -e ""', measures: "spawn to exit", ...summarize(node) };
  const entry = (name: string, samples: typeof cold, target: number | null, what: string) => {
    const healthy = summarize(samples.map((sample) => sample.healthyMs));
    return {
      name,
      unit: "ms",
      runtime: {
        command: "node packages/cli/dist/bin.js up --port 0 --data-dir <dir> --json --log-level warn",
        data_dir: what,
        measures: "spawn to first 200 from GET /api/v1/health",
        ...healthy,
        spawn_to_ready_line: summarize(samples.map((sample) => sample.readyMs)),
      },
      baseline,
      ratio: round(healthy.median / baseline.median, 2),
      overhead_vs_node_ms: round(healthy.median - baseline.median),
      target,
      target_metric: target === null ? null : "runtime.median < target",
      meets_target: target === null ? null : healthy.median < target,
    };
  };
  return [
    entry("cold_start_to_healthy", cold, COLD_START_TARGET_MS, "fresh (database created and migrated)"),
    entry("warm_start_to_healthy", warm, null, "the cold run's dir again (migrations already applied)"),
  ];
}
