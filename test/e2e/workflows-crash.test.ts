import type { WorkflowExecution, WorkflowExecutionResponse } from "@symbiont/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../support/cli-process.js";
import { tempDir } from "../support/databases.js";
import { type ModelRequest, type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent } from "../support/runtime.js";

const KEY = "workflows-crash-key-0123456789abcdef";
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const running: CliProcess[] = [];
let model: ModelServer;
const seen = new Map<string, number>();

function up(dataDir: string): CliProcess {
  const cli = spawnCli(["up", "--port", "0", "--json", "--data-dir", dataDir, "--log-level", "warn"], {
    env: { SYMBIONT_API_KEY: KEY, SYMBIONT_OLLAMA_BASE_URL: model.url },
  });
  running.push(cli);
  return cli;
}
const call = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
  const response = await fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
};
const waitFor = async (what: string, check: () => Promise<boolean> | boolean, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};
const calls = (input: string) => model.requests.filter((r: ModelRequest) => r.input === input).length;

beforeAll(async () => {
  model = await startOpenAiServer((request) => {
    const count = (seen.get(request.input) ?? 0) + 1;
    seen.set(request.input, count);
    // The first time only, this item takes long: long enough to kill the runtime in the middle.
    if (request.input.startsWith("slowly") && count === 1) return { text: "late", delayMs: 30_000 };
    return { text: `done(${request.input})` };
  });
});
afterAll(async () => {
  await model?.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop("SIGKILL")));
});

describe("workflows survive kill -9 of the runtime", () => {
  it("resume after a restart and never repeat a finished step or map item", async () => {
    const dataDir = tempDir();
    const first = up(dataDir);
    const { api_url: api } = await first.ready;
    await call("POST", `${api}/agents`, sampleAgent("worker", { tools: [] }));
    await call("POST", `${api}/workflow-definitions`, {
      name: "durable",
      parameters: { items: { type: "array", required: true } },
      steps: [
        { id: "start", type: "agent", agent_id: "worker", input: "start: go" },
        {
          id: "each",
          type: "map",
          over: "params.items",
          max_parallel: 1,
          call: { type: "agent", agent_id: "worker", input: "{{ item }} after {{ steps.start.output }}" },
        },
        { id: "finish", type: "agent", agent_id: "worker", input: "finish: {{ steps.each.output[2] }}" },
      ],
    });
    const started = await call<WorkflowExecutionResponse>("POST", `${api}/workflows`, {
      workflow_id: "durable",
      parameters: { items: ["quick-0", "quick-1", "slowly-2", "quick-3"] },
      agent_id: null,
      wait: false,
    });
    await waitFor("the slow item's model call", () => calls("slowly-2 after done(start: go)") === 1);
    const before = await call<WorkflowExecution>("GET", `${api}/workflow-executions/${started.execution_id}`);
    expect(before.steps.map((s) => s.status)).toEqual(["succeeded", "running", "pending"]);
    await first.stop("SIGKILL");

    const second = up(dataDir);
    const { api_url: again } = await second.ready;
    let after: WorkflowExecution | undefined;
    await waitFor("the execution to finish after the restart", async () => {
      after = await call<WorkflowExecution>("GET", `${again}/workflow-executions/${started.execution_id}`);
      return after.status !== "running";
    });
    expect(after?.status).toBe("succeeded");
    expect(after?.result?.finish).toBe("done(finish: done(slowly-2 after done(start: go)))");
    // Finished before the kill: each model call happened exactly once.
    expect(calls("start: go")).toBe(1);
    expect(calls("quick-0 after done(start: go)")).toBe(1);
    expect(calls("quick-1 after done(start: go)")).toBe(1);
    // The interrupted item ran again (its first call never finished); the rest once.
    expect(calls("slowly-2 after done(start: go)")).toBe(2);
    expect(calls("quick-3 after done(start: go)")).toBe(1);
    expect(calls("finish: done(slowly-2 after done(start: go))")).toBe(1);
    const each = after?.steps.find((s) => s.id === "each");
    expect(each?.run_ids).toHaveLength(5);
  });
});
