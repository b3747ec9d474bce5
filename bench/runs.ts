/**
 * Agent runs against a zero-latency scripted model: each run is model call → gate → current_time →
 * model call (4 steps). Side by side with a baseline in this process: the same conversation driven
 * directly with the AI SDK against the same server, with no runtime (no HTTP API, no database, no
 * policy gate). The difference is the runtime's own overhead.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { jsonSchema, type ModelMessage, streamText, tool } from "ai";
import { post, startBenchAgentRuntime } from "./bench-agent-runtime.js";
import { cpuSeconds, log, round, summarize } from "./processes.js";

export interface RunSettings {
  /** Runs one after another, for latency. */
  sequential: number;
  /** Runs in total for the throughput measurement, `concurrency` at a time. */
  total: number;
  concurrency: number;
}

const STEPS_PER_RUN = 4;
globalThis.AI_SDK_LOG_WARNINGS = false;

/** What the runtime does for one run, minus everything that is the runtime's. */
async function bareLoop(baseURL: string): Promise<void> {
  const model = createOpenAICompatible({ name: "ollama", baseURL, includeUsage: true }).chatModel("bench");
  const tools = {
    current_time: tool({ description: "time", inputSchema: jsonSchema({ type: "object", properties: {} }) }),
  };
  const messages: ModelMessage[] = [{ role: "user", content: "what time is it?" }];
  for (let turn = 0; turn < 2; turn++) {
    const result = streamText({ model, messages, tools, maxRetries: 0 });
    const calls: { toolCallId: string; toolName: string }[] = [];
    for await (const part of result.fullStream) if (part.type === "tool-call") calls.push(part);
    messages.push(...(await result.response).messages);
    for (const call of calls) {
      messages.push({
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output: { type: "json", value: { utc: new Date().toISOString() } },
          },
        ],
      });
    }
  }
}

async function pool(total: number, concurrency: number, work: () => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await work();
      }
    }),
  );
  return performance.now() - started;
}

export async function runRunsBenchmark(settings: RunSettings) {
  const { model, child, api, key, close } = await startBenchAgentRuntime();
  try {
    const runOnce = async () => {
      const { status, json } = await post(`${api}/agents/bench/execute`, key, { input: "what time is it?" });
      const run = json as { status: string; steps_count: number };
      if (status !== 200 || run.status !== "succeeded" || run.steps_count !== STEPS_PER_RUN)
        throw new Error(`a benchmark run did not succeed: ${status} ${JSON.stringify(json).slice(0, 300)}`);
    };
    // Warm-up on both sides: JIT, connection pools, prepared statements.
    for (let i = 0; i < 20; i++) {
      await runOnce();
      await bareLoop(model.url);
    }

    const runtimeLatency: number[] = [];
    const baselineLatency: number[] = [];
    const busyBefore = model.busyMs();
    const requestsBefore = model.requests();
    for (let i = 0; i < settings.sequential; i++) {
      let started = performance.now();
      await runOnce();
      runtimeLatency.push(performance.now() - started);
      started = performance.now();
      await bareLoop(model.url);
      baselineLatency.push(performance.now() - started);
    }
    const modelMsPerCall = (model.busyMs() - busyBefore) / Math.max(1, model.requests() - requestsBefore);
    log(`runs: sequential latency measured over ${settings.sequential} runs each side`);

    const cpuBefore = await cpuSeconds(child.pid);
    const runtimeMs = await pool(settings.total, settings.concurrency, runOnce);
    const cpuAfter = await cpuSeconds(child.pid);
    const baselineMs = await pool(settings.total, settings.concurrency, () => bareLoop(model.url));
    log(`runs: ${settings.total} runs at concurrency ${settings.concurrency} each side`);

    const runtime = summarize(runtimeLatency);
    const baseline = summarize(baselineLatency);
    const runtimeRate = settings.total / (runtimeMs / 1000);
    const baselineRate = settings.total / (baselineMs / 1000);
    return [
      {
        name: "run_step_overhead",
        unit: "ms",
        runtime: {
          measures:
            "POST /agents/{id}/execute (wait) of a 4-step run: model, gate, current_time, model; SQLite",
          ...runtime,
        },
        baseline: {
          measures: "the same conversation driven with the AI SDK in this process, no runtime",
          ...baseline,
        },
        model_server_ms_per_call: round(modelMsPerCall, 3),
        overhead_per_step_ms: round((runtime.median - baseline.median) / STEPS_PER_RUN, 2),
        overhead_per_run_ms: round(runtime.median - baseline.median, 2),
      },
      {
        name: "runs_throughput",
        unit: "runs/s",
        concurrency: settings.concurrency,
        total_runs: settings.total,
        runtime: {
          runs_per_s: round(runtimeRate),
          steps_per_s: round(runtimeRate * STEPS_PER_RUN),
          server_cpu_ms_per_run:
            cpuBefore === null || cpuAfter === null
              ? null
              : round(((cpuAfter - cpuBefore) * 1000) / settings.total, 2),
        },
        baseline: { runs_per_s: round(baselineRate) },
        ratio: round(runtimeRate / baselineRate, 2),
      },
    ];
  } finally {
    await close();
  }
}
