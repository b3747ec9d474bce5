import type { AgentDeployResponse } from "@symbiont/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../support/cli-process.js";
import { tempDir } from "../support/databases.js";
import { sampleAgent } from "../support/runtime.js";

const KEY = "deployments-crash-key-0123456789abcdef";
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const running: CliProcess[] = [];

function up(dataDir: string): CliProcess {
  const cli = spawnCli(["up", "--port", "0", "--json", "--data-dir", dataDir, "--log-level", "warn"], {
    env: { SYMBIONT_API_KEY: KEY, SYMBIONT_DEPLOYMENT_STOP_GRACE_MS: "1000" },
  });
  running.push(cli);
  return cli;
}
const call = async (method: string, url: string, body?: unknown) => {
  const response = await fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return (await response.json()) as AgentDeployResponse;
};
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop("SIGKILL")));
});

describe("deployments and the runtime's own death", () => {
  it("replicas die with a runtime killed -9, and the next start runs them again", async () => {
    const dataDir = tempDir();
    const first = up(dataDir);
    const { api_url: api } = await first.ready;
    await fetch(`${api}/agents`, { method: "POST", headers, body: JSON.stringify(sampleAgent("survivor")) });
    const deployed = await call("POST", `${api}/agents/deploy`, {
      agent_id: "survivor",
      config_overrides: { replicas: 2 },
    });
    const before = await until(
      () => call("GET", `${api}/agents/deployments/${deployed.deployment_id}`),
      (d) => d.status === "running",
    );
    const groups = before.instances.map((i) => i.pid as number);
    expect(groups.every((pgid) => groupAlive(pgid))).toBe(true);

    await first.stop("SIGKILL");
    // No orphans: each replica notices its supervisor is gone and exits.
    const left = await until(
      () => groups.filter(groupAlive),
      (alive) => alive.length === 0,
      5000,
    );
    expect(left).toEqual([]);

    const second = up(dataDir);
    const { api_url: again } = await second.ready;
    const after = await until(
      () => call("GET", `${again}/agents/deployments/${deployed.deployment_id}`),
      (d) => d.status === "running",
    );
    expect(after.status).toBe("running");
    const newGroups = after.instances.map((i) => i.pid as number);
    expect(newGroups.some((pgid) => groups.includes(pgid))).toBe(false);

    // A graceful stop of the runtime stops the replicas too, and keeps them desired.
    await second.stop("SIGTERM");
    expect(newGroups.filter(groupAlive)).toEqual([]);
    const third = up(dataDir);
    const { api_url: last } = await third.ready;
    const back = await until(
      () => call("GET", `${last}/agents/deployments/${deployed.deployment_id}`),
      (d) => d.status === "running",
    );
    expect(back.status).toBe("running");
  });
});
