/**
 * A real `symbiont up` against the zero-latency model, with the `bench` agent (tools: current_time)
 * and a policy that permits the clock: what the runs and workflows benchmarks both drive.
 */
import type { ChildProcess } from "node:child_process";
import {
  CLI,
  cleanEnv,
  makeTempDir,
  type RuntimeReady,
  spawnNode,
  stop,
  UNREACHABLE_RATE_LIMITS,
  waitForReady,
} from "./processes.js";
import { startZeroLatencyModel, type ZeroLatencyModel } from "./zero-latency-model.js";

export async function post(
  url: string,
  key: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

export interface BenchAgentRuntime {
  model: ZeroLatencyModel;
  child: ChildProcess;
  api: string;
  key: string;
  close(): Promise<void>;
}

export async function startBenchAgentRuntime(): Promise<BenchAgentRuntime> {
  const model = await startZeroLatencyModel();
  const dataDir = await makeTempDir();
  const child = spawnNode(
    [CLI, "up", "--port", "0", "--data-dir", dataDir, "--json", "--log-level", "warn"],
    {
      cwd: dataDir,
      env: { ...cleanEnv(), ...UNREACHABLE_RATE_LIMITS, SYMBIONT_OLLAMA_BASE_URL: model.url },
    },
  );
  const close = async () => {
    await stop(child);
    await model.close();
  };
  try {
    const ready = await waitForReady<RuntimeReady>(child);
    const key = ready.admin_key;
    if (!key) throw new Error("the runtime printed no admin_key on its first start");
    const api = ready.api_url;
    await post(`${api}/agents`, key, {
      id: "bench",
      name: "bench",
      description: "benchmark agent",
      system_prompt: "Answer briefly.",
      tools: ["current_time"],
      model: "bench",
      temperature: 0,
      top_p: 1,
      max_tokens: 256,
    });
    await post(`${api}/policies`, key, {
      name: "clock",
      policy: 'permit(principal, action, resource == Tool::"current_time");',
    });
    return { model, child, api, key, close };
  } catch (error) {
    await close();
    throw error;
  }
}
