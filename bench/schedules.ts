/**
 * Firing schedules: one scheduler pass over N schedules due in the same second, each slot claimed
 * (fire row + schedule moved on, in one transaction) and its run created and started. Side by side
 * with a baseline in the same runtime: N runs created through `POST /agents/{id}/execute` with
 * `wait: false`, one after another, the way a client would start them. SQLite in the data dir.
 */
import { loadConfig, startRuntime } from "@symbiont/runtime";
import { log, makeTempDir, round, summarize } from "./processes.js";
import { startZeroLatencyModel } from "./zero-latency-model.js";

const KEY = "bench-key-0123456789abcdef";

export async function runSchedulesBenchmark(settings: { schedules: number; rounds: number }) {
  const model = await startZeroLatencyModel();
  const dataDir = await makeTempDir();
  let now = new Date("2030-01-01T00:00:00.000Z");
  const runtime = await startRuntime(
    loadConfig({
      env: {},
      flags: {
        port: 0,
        dataDir,
        apiKey: KEY,
        logLevel: "silent",
        scheduler: false,
        ollamaBaseUrl: model.url,
        rateLimitReadPerMinute: 0,
        rateLimitWritePerMinute: 0,
        rateLimitIpPerMinute: 0,
      },
    }),
    { clock: () => now },
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  try {
    await call("POST", "/agents", {
      id: "bench",
      name: "bench",
      description: "benchmark agent",
      system_prompt: "Answer briefly.",
      tools: [],
      model: "bench",
      temperature: 0,
      top_p: 1,
      max_tokens: 256,
    });
    for (let i = 0; i < settings.schedules; i++)
      await call("POST", "/schedules", {
        name: `s${i}`,
        agent_id: "bench",
        cron: "* * * * * *",
        input: "tick",
      });

    // Runs started by one side finish before the other side is timed, so neither pays for the other's.
    const settle = async () => {
      for (let i = 0; i < 2_000; i++) {
        const busy = await Promise.all(
          ["queued", "running"].map(
            async (status) =>
              ((await call("GET", `/agents/bench/runs?status=${status}&limit=1`)) as { items: unknown[] })
                .items.length,
          ),
        );
        if (busy.every((n) => n === 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("benchmark runs did not finish");
    };
    const fire: number[] = [];
    const execute: number[] = [];
    for (let round = 0; round <= settings.rounds; round++) {
      now = new Date(now.getTime() + 1000);
      const started = performance.now();
      const pass = await runtime.scheduler.tick();
      const perSlot = (performance.now() - started) / Math.max(1, pass.fired.length);
      if (pass.fired.length !== settings.schedules || pass.fired.some((f) => f.runId === null))
        throw new Error(`a pass fired ${pass.fired.length} of ${settings.schedules} slots`);
      await settle();
      const baselineStarted = performance.now();
      for (let i = 0; i < settings.schedules; i++)
        await call("POST", "/agents/bench/execute", { input: "tick", wait: false });
      const perRun = (performance.now() - baselineStarted) / settings.schedules;
      await settle();
      // The first round warms both sides up (JIT, prepared statements) and is not counted.
      if (round > 0) {
        fire.push(perSlot);
        execute.push(perRun);
      }
    }
    log(
      `schedules: ${settings.rounds} passes over ${settings.schedules} due schedules, and as many execute calls`,
    );
    const runtimeSide = summarize(fire);
    const baseline = summarize(execute);
    return [
      {
        name: "schedule_fire",
        unit: "ms per slot",
        schedules_per_pass: settings.schedules,
        runtime: {
          measures:
            "one scheduler pass: claim each due slot in a transaction, then create and start its run; SQLite",
          ...runtimeSide,
        },
        baseline: {
          measures: "POST /agents/{id}/execute with wait false over loopback HTTP, sequential; same runtime",
          ...baseline,
        },
        slots_per_s: round(1000 / runtimeSide.median),
        ratio_to_baseline: round(runtimeSide.median / baseline.median, 2),
      },
    ];
  } finally {
    await runtime.close();
    await model.close();
  }
}
