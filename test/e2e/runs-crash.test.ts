import type { Run } from "@symbiont/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../support/cli-process.js";
import { tempDir } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent } from "../support/runtime.js";
import { conversation } from "../support/scripted-agents.js";

const KEY = "runs-crash-key-0123456789abcdef";
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const running: CliProcess[] = [];
let model: ModelServer;

function up(dataDir: string): CliProcess {
  const cli = spawnCli(["up", "--port", "0", "--json", "--data-dir", dataDir, "--log-level", "warn"], {
    env: { SYMBIONT_API_KEY: KEY, SYMBIONT_OLLAMA_BASE_URL: model.url },
  });
  running.push(cli);
  return cli;
}
const call = async (method: string, url: string, body?: unknown) => {
  const response = await fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return (await response.json()) as Run;
};

beforeAll(async () => {
  model = await startOpenAiServer(conversation);
});
afterAll(async () => {
  await model?.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop("SIGKILL")));
});

describe("runs survive kill -9 of the runtime", () => {
  it("a run in the middle of a model call is failed as interrupted at the next start, not left running", async () => {
    const dataDir = tempDir();
    const first = up(dataDir);
    const { api_url: api } = await first.ready;
    await fetch(`${api}/agents`, { method: "POST", headers, body: JSON.stringify(sampleAgent("slowpoke")) });
    const started = await call("POST", `${api}/agents/slowpoke/execute`, {
      input: "slow: think hard",
      wait: false,
    });
    let run = started;
    for (let i = 0; i < 100 && run.status !== "running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      run = await call("GET", `${api}/runs/${started.id}`);
    }
    expect(run.status).toBe("running");
    await first.stop("SIGKILL");

    const second = up(dataDir);
    const { api_url: again } = await second.ready;
    const after = await call("GET", `${again}/runs/${started.id}`);
    expect(after.status).toBe("failed");
    expect(after.error).toContain("interrupted");
    expect(after.finished_at).not.toBeNull();
  });
});
