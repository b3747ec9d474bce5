/**
 * `npm run bench [-- --quick]`: runs every benchmark, prints one JSON object on stdout and writes it to
 * bench/results/latest.json. Progress goes to stderr. Children and temp dirs are cleaned up on every exit path.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runColdStart } from "./cold-start.js";
import { runDeploymentsBenchmark } from "./deployments.js";
import { runDynamicEndpoints } from "./dynamic-endpoints.js";
import { type LoadSettings, runHttpThroughput } from "./http-throughput.js";
import { cleanup, log, ROOT } from "./processes.js";
import { runRetrieval } from "./retrieval.js";
import { runRunsBenchmark } from "./runs.js";
import { runSchedulesBenchmark } from "./schedules.js";
import { runToolReviewEvaluation } from "./tool-review.js";
import { runWorkflowsBenchmark } from "./workflows.js";

const args = process.argv.slice(2);
const unknown = args.filter(
  (arg) => arg !== "--quick" && arg !== "--only-retrieval" && arg !== "--only-endpoints",
);
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown argument(s): ${unknown.join(" ")}\nUsage: npm run bench [-- --quick] [--only-retrieval | --only-endpoints]\n`,
  );
  process.exit(2);
}
const quick = args.includes("--quick");
/** Skips the HTTP and start-up suites, for working on retrieval. */
const onlyRetrieval = args.includes("--only-retrieval");
/** Just the dynamic endpoint benchmark. */
const onlyEndpoints = args.includes("--only-endpoints");

const load: LoadSettings = quick
  ? { connections: 50, durationS: 3, warmupS: 1, pipelining: 1, rounds: 2 }
  : { connections: 50, durationS: 10, warmupS: 2, pipelining: 1, rounds: 2 };
const startRuns = quick ? 3 : 7;
const runSettings = quick
  ? { sequential: 30, total: 200, concurrency: 20 }
  : { sequential: 100, total: 1000, concurrency: 50 };

// `on`, not `once`: Ctrl+C can deliver the signal twice (to the process group and relayed by tsx), and a
// second one without a handler would kill us before the temp dirs are gone.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping children and removing temp dirs`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const cpus = os.cpus();
  const loadAtStart = os.loadavg().map((n) => Number(n.toFixed(2)));
  log(`${quick ? "quick" : "full"} run on ${cpus.length} CPUs, load average ${loadAtStart.join(" ")}`);
  const others = onlyRetrieval || onlyEndpoints;
  const benchmarks = [
    ...(others ? [] : runToolReviewEvaluation(quick ? 5 : 50)),
    ...(others ? [] : await runColdStart(startRuns)),
    ...(others ? [] : await runHttpThroughput(load)),
    ...(others ? [] : await runRunsBenchmark(runSettings)),
    ...(others
      ? []
      : await runSchedulesBenchmark(quick ? { schedules: 50, rounds: 3 } : { schedules: 200, rounds: 5 })),
    ...(others ? [] : await runDeploymentsBenchmark(quick ? 3 : 15)),
    ...(others ? [] : await runWorkflowsBenchmark({ sequential: quick ? 20 : 100 })),
    ...(onlyRetrieval ? [] : await runDynamicEndpoints(load)),
    ...(onlyEndpoints ? [] : await runRetrieval(quick)),
  ];
  const report = {
    machine: {
      node: process.version,
      cpus: cpus.length,
      cpu_model: cpus[0]?.model ?? null,
      platform: `${process.platform}-${process.arch}`,
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      load_average_at_start: loadAtStart,
      load_average_at_end: os.loadavg().map((n) => Number(n.toFixed(2))),
    },
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    benchmarks,
  };
  const json = JSON.stringify(report, null, 2);
  const resultsDir = path.join(ROOT, "bench/results");
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, "latest.json"), `${json}\n`);
  process.stdout.write(`${json}\n`);
  log("wrote bench/results/latest.json");
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
