import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AgentDeployResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { collectEvents } from "../../../../test/support/sse.js";
import { groupAlive } from "./local/process-groups.js";

const scriptedReplica = fileURLToPath(
  new URL("../../../../test/support/replicas/scripted-replica.mjs", import.meta.url),
);
const admin = { authorization: `Bearer ${TEST_API_KEY}` };

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Processes of a group, as `ps` sees them: the test trusts the process table, not the supervisor. */
function processesOfGroup(pgid: number): number[] {
  const out = execFileSync("ps", ["-e", "-o", "pid=,pgid="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, group]) => group === pgid)
    .map(([pid]) => pid as number);
}

const getDeployment = (server: TestRuntime, id: string) =>
  server.call("GET", `/agents/deployments/${id}`).then((r) => r.body as AgentDeployResponse);

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`local deployments on ${target.name}`, () => {
    let database: FreshDatabase;
    let server: TestRuntime;

    beforeAll(async () => {
      database = await target.create();
      server = await startTestRuntime(database, { deploymentStopGraceMs: 1000 });
      await server.call("POST", "/agents", { body: sampleAgent("svc") });
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
    });

    it("answers at once with deploying, then runs a replica that serves runs of the agent", async () => {
      const deployed = await server.call("POST", "/agents/deploy", {
        body: { agent_id: "svc", environment: "development", config_overrides: {} },
      });
      expect(deployed.status, deployed.text).toBe(200);
      const answer = deployed.body as AgentDeployResponse;
      expect(answer).toMatchObject({ agent_id: "svc", status: "deploying", executor: "local", replicas: 1 });
      const running = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.status === "running",
      );
      expect(running.status).toBe("running");
      expect(running.instances[0]).toMatchObject({ state: "running", restarts: 0 });
      expect(running.endpoint_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invoke$/);

      // The replica turns a request into a run of its agent, as the caller.
      const invoked = await fetch(running.endpoint_url as string, {
        method: "POST",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ input: "hello from a trigger" }),
      });
      const run = (await invoked.json()) as { id: string; agent_id: string; input: string };
      expect(invoked.status).toBe(200);
      expect(run).toMatchObject({ agent_id: "svc", input: "hello from a trigger" });
      expect((await server.call("GET", `/runs/${run.id}`)).status).toBe(200);
      const anonymous = await fetch(running.endpoint_url as string, { method: "POST", body: "{}" });
      expect(anonymous.status).toBe(401);
      const wrongKey = await fetch(running.endpoint_url as string, {
        method: "POST",
        headers: { authorization: "Bearer not-a-key-at-all-000000", "content-type": "application/json" },
        body: JSON.stringify({ input: "hi" }),
      });
      expect(wrongKey.status).toBe(401);

      const listed = (await server.call("GET", "/agents/deployments?agent_id=svc"))
        .body as AgentDeployResponse[];
      expect(listed.map((d) => d.deployment_id)).toContain(answer.deployment_id);
      const logs = await server.call("GET", `/deployments/${answer.deployment_id}/logs`);
      const lines = (logs.body as { lines: { text: string }[] }).lines.map((l) => l.text);
      expect(lines.join("\n")).toContain("serves agent svc");
      expect(lines.join("\n")).toContain("invoke -> 200");
      await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
    });

    it("brings a replica killed with -9 back within 2 s, and announces the restart", async () => {
      const answer = (await server.call("POST", "/agents/deploy", { body: { agent_id: "svc" } }))
        .body as AgentDeployResponse;
      const running = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.status === "running",
      );
      const pid = running.instances[0]?.pid as number;
      const events = collectEvents(`${server.api}/events?agent_id=svc`, admin, {
        enough: (seen) => seen.some((e) => (e.data as { kind?: string }).kind === "restarted"),
        timeoutMs: 5000,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      const back = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.instances[0]?.state === "running" && d.instances[0]?.pid !== pid,
        2000,
      );
      expect(Date.now() - killedAt).toBeLessThan(2000);
      expect(back.instances[0]?.pid).not.toBe(pid);
      expect(back.instances[0]?.state).toBe("running");
      expect(back.status).toBe("running");
      const seen = (await events).events.map((e) => e.data as { type: string; kind: string; detail: string });
      expect(seen.find((e) => e.kind === "crashed")?.detail).toContain("SIGKILL");
      expect(seen.find((e) => e.kind === "restarted")).toMatchObject({ type: "deployment.event" });
      expect((await getDeployment(server, answer.deployment_id)).restarts).toBe(1);
      await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
    });

    it("stops with nothing of the process groups left in the process table", async () => {
      const answer = (
        await server.call("POST", "/agents/deploy", {
          body: { agent_id: "svc", environment: "staging", config_overrides: { replicas: 3 } },
        })
      ).body as AgentDeployResponse;
      const running = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.status === "running",
      );
      const groups = running.instances.map((i) => i.pid as number);
      expect(groups).toHaveLength(3);
      for (const pgid of groups) expect(processesOfGroup(pgid).length).toBeGreaterThan(0);
      // A bodyless POST, as the contract's clients send it.
      const stopped = await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`, {
        headers: { "content-length": "0" },
      });
      expect(stopped.body).toEqual({ deployment_id: answer.deployment_id, status: "stopped" });
      for (const pgid of groups) {
        expect(groupAlive(pgid)).toBe(false);
        expect(processesOfGroup(pgid)).toEqual([]);
      }
      const after = await getDeployment(server, answer.deployment_id);
      expect(after).toMatchObject({ status: "stopped", instances: [] });
      expect(after.stopped_at).not.toBeNull();
      // Stopping again changes nothing.
      const again = await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
      expect(again.body).toEqual({ deployment_id: answer.deployment_id, status: "stopped" });
    });

    it("refuses bad deploy requests with a 4xx naming the field, and writes nothing", async () => {
      const before = ((await server.call("GET", "/agents/deployments")).body as unknown[]).length;
      const cases: [unknown, number, string][] = [
        [{ agent_id: "ghost" }, 404, "ghost"],
        [{ agent_id: "deployments" }, 400, "body.agent_id"],
        [{ agent_id: "svc", config_overrides: { replicas: 0 } }, 400, "body.config_overrides.replicas"],
        [{ agent_id: "svc", config_overrides: { replicas: 1e9 } }, 400, "body.config_overrides.replicas"],
        [
          { agent_id: "svc", config_overrides: { max_memory_mb: "lots" } },
          400,
          "body.config_overrides.max_memory_mb",
        ],
        [{ agent_id: "svc", config_overrides: { gpus: 4 } }, 400, "body.config_overrides.gpus"],
        [
          { agent_id: "svc", config_overrides: { env: { "BAD NAME": "x" } } },
          400,
          "body.config_overrides.env",
        ],
        [
          { agent_id: "svc", config_overrides: { env: { SYMBIONT_REPLICA_API_URL: "http://evil" } } },
          400,
          "body.config_overrides.env",
        ],
        [
          { agent_id: "svc", config_overrides: { env: { TOKEN: "secret://nope" } } },
          400,
          "body.config_overrides.env.TOKEN",
        ],
        [{ agent_id: "svc", environment: "Prod uction\n" }, 400, "body.environment"],
        [{ agent_id: "svc", environment: "x".repeat(100) }, 400, "body.environment"],
        [{ agent_id: "sv\u0000c" }, 400, "body.agent_id"],
        [[], 400, "body"],
        [
          {
            agent_id: "svc",
            config_overrides: {
              env: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, "x"])),
            },
          },
          400,
          "body.config_overrides.env",
        ],
        [
          { agent_id: "svc", config_overrides: { env: { BIG: "x".repeat(9000) } } },
          400,
          "body.config_overrides.env.BIG",
        ],
        [{ agent_id: "svc", config_overrides: { image: "a\nb" } }, 400, "body.config_overrides.image"],
        [
          { agent_id: "svc", config_overrides: { max_cpu_cores: 1000 } },
          400,
          "body.config_overrides.max_cpu_cores",
        ],
      ];
      for (const [body, status, field] of cases) {
        const response = await server.call("POST", "/agents/deploy", { body });
        expect(response.status, response.text).toBe(status);
        expect(response.text).toContain(field);
      }
      expect(((await server.call("GET", "/agents/deployments")).body as unknown[]).length).toBe(before);
      expect((await server.call("GET", "/agents/deployments/no-such-thing")).status).toBe(404);
      expect((await server.call("POST", "/agents/deployments/no-such-thing/stop")).status).toBe(404);
      expect((await server.call("GET", "/deployments/no-such-thing/logs")).status).toBe(404);
      expect((await server.call("GET", "/agents/deployments?agent_id=a/b")).status).toBe(400);
      // Not JSON at all, and a body over the limit: still a clear 4xx.
      const garbage = await server.call("POST", "/agents/deploy", {
        raw: "{agent_id: svc",
        headers: { "content-type": "application/json" },
      });
      expect(garbage.status).toBe(400);
      const huge = await server.call("POST", "/agents/deploy", {
        body: { agent_id: "svc", environment: "x".repeat(2 * 1024 * 1024) },
      });
      expect(huge.status).toBe(413);
    });

    it("deploys concurrently without mixing deployments up", async () => {
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => server.call("POST", "/agents/deploy", { body: { agent_id: "svc" } })),
      );
      const ids = answers.map((a) => (a.body as AgentDeployResponse).deployment_id);
      expect(new Set(ids).size).toBe(4);
      const running = await Promise.all(
        ids.map((id) =>
          until(
            () => getDeployment(server, id),
            (d) => d.status === "running",
          ),
        ),
      );
      const pids = running.map((d) => d.instances[0]?.pid);
      expect(new Set(pids).size).toBe(4);
      await Promise.all(ids.map((id) => server.call("POST", `/agents/deployments/${id}/stop`)));
      for (const pid of pids) expect(groupAlive(pid as number)).toBe(false);
    });

    it("stops an agent's deployments when the agent is deleted", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("short-lived") });
      const answer = (await server.call("POST", "/agents/deploy", { body: { agent_id: "short-lived" } }))
        .body as AgentDeployResponse;
      const running = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.status === "running",
      );
      const pgid = running.instances[0]?.pid as number;
      expect((await server.call("DELETE", "/agents/short-lived")).status).toBe(200);
      expect(groupAlive(pgid)).toBe(false);
      expect((await getDeployment(server, answer.deployment_id)).status).toBe("stopped");
    });

    it("follows logs by long-poll: a wait ends as soon as a line arrives", async () => {
      const answer = (await server.call("POST", "/agents/deploy", { body: { agent_id: "svc" } }))
        .body as AgentDeployResponse;
      const running = await until(
        () => getDeployment(server, answer.deployment_id),
        (d) => d.status === "running",
      );
      const first = (await server.call("GET", `/deployments/${answer.deployment_id}/logs`)).body as {
        next_after: number;
      };
      const waiting = server.call(
        "GET",
        `/deployments/${answer.deployment_id}/logs?after=${first.next_after}&wait=20`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await fetch(running.endpoint_url as string, {
        method: "POST",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ input: "wake the log" }),
      });
      const next = (await waiting).body as { lines: { seq: number; text: string }[]; next_after: number };
      expect(next.lines[0]?.seq).toBeGreaterThan(first.next_after);
      expect(next.lines.map((l) => l.text).join("\n")).toContain("invoke ->");
      expect((await server.call("GET", `/deployments/${answer.deployment_id}/logs?wait=99`)).status).toBe(
        400,
      );
      await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
    });
  });
}

describe("local deployments across a runtime restart", () => {
  const sqlite = databaseTargets[0];
  it("reconciles: what was running runs again, what was stopped stays stopped", async () => {
    const database = await sqlite!.create();
    try {
      const first = await startTestRuntime(database);
      await first.call("POST", "/agents", { body: sampleAgent("keeper") });
      const kept = (await first.call("POST", "/agents/deploy", { body: { agent_id: "keeper" } }))
        .body as AgentDeployResponse;
      const parked = (await first.call("POST", "/agents/deploy", { body: { agent_id: "keeper" } }))
        .body as AgentDeployResponse;
      const before = await until(
        () => getDeployment(first, kept.deployment_id),
        (d) => d.status === "running",
      );
      await first.call("POST", `/agents/deployments/${parked.deployment_id}/stop`);
      const oldPid = before.instances[0]?.pid as number;
      await first.close();
      expect(groupAlive(oldPid)).toBe(false);

      const second = await startTestRuntime(database);
      try {
        const after = await until(
          () => getDeployment(second, kept.deployment_id),
          (d) => d.status === "running",
        );
        expect(after.status).toBe("running");
        expect(after.instances[0]?.pid).not.toBe(oldPid);
        expect((await getDeployment(second, parked.deployment_id)).status).toBe("stopped");
      } finally {
        await second.close();
      }
    } finally {
      await database.dispose();
    }
  });
});

describe("local deployments of misbehaving replicas", () => {
  let database: FreshDatabase;
  let server: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(
      database,
      { deploymentStopGraceMs: 500 },
      {
        deployments: {
          local: {
            entry: scriptedReplica,
            backoffBaseMs: 50,
            sampleIntervalMs: 100,
            heartbeatTimeoutMs: 1000,
            cpuSamplesOverLimit: 3,
          },
        },
      },
    );
    await server.call("POST", "/agents", { body: sampleAgent("wild") });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("kills a replica that grows past its memory limit, and reports it", async () => {
    const events = collectEvents(`${server.api}/events?agent_id=wild`, admin, {
      enough: (seen) => seen.some((e) => (e.data as { kind?: string }).kind === "limit_exceeded"),
      timeoutMs: 10_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = (
      await server.call("POST", "/agents/deploy", {
        body: { agent_id: "wild", config_overrides: { max_memory_mb: 128, env: { REPLICA_SCRIPT: "hog" } } },
      })
    ).body as AgentDeployResponse;
    expect(answer.limits.max_memory_mb).toBe(128);
    const limitEvent = (await events).events
      .map((e) => e.data as { kind: string; detail: string; deployment_id: string; replica: number })
      .find((e) => e.kind === "limit_exceeded");
    expect(limitEvent).toMatchObject({ deployment_id: answer.deployment_id, replica: 0 });
    expect(limitEvent?.detail).toMatch(/used \d+ MB of memory, over its limit of 128 MB/);
    const after = await getDeployment(server, answer.deployment_id);
    expect(after.last_error).toContain("over its limit of 128 MB");
    const logs = (await server.call("GET", `/deployments/${answer.deployment_id}/logs`)).body as {
      lines: { stream: string; text: string }[];
    };
    expect(logs.lines.some((l) => l.stream === "supervisor" && l.text.startsWith("killed:"))).toBe(true);
    await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
  });

  it("marks a crash loop failed, with the replica's last log lines", async () => {
    const answer = (
      await server.call("POST", "/agents/deploy", {
        body: { agent_id: "wild", config_overrides: { env: { REPLICA_SCRIPT: "crash" } } },
      })
    ).body as AgentDeployResponse;
    const failed = await until(
      () => getDeployment(server, answer.deployment_id),
      (d) => d.status === "failed",
      15_000,
    );
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toMatch(/crashed 5 times within 60 s; last: exited with code 3/);
    expect(failed.last_log_lines.join("\n")).toContain("fatal: the configuration file says no");
    expect(failed.instances).toEqual([]);
  });

  it("SIGKILLs a group that ignores SIGTERM once the grace period is over, children included", async () => {
    const answer = (
      await server.call("POST", "/agents/deploy", {
        body: { agent_id: "wild", config_overrides: { env: { REPLICA_SCRIPT: "ignore-sigterm" } } },
      })
    ).body as AgentDeployResponse;
    const running = await until(
      () => getDeployment(server, answer.deployment_id),
      (d) => d.status === "running",
    );
    const pgid = running.instances[0]?.pid as number;
    await until(
      async () => processesOfGroup(pgid).length,
      (n) => n >= 2,
    );
    expect(processesOfGroup(pgid).length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(processesOfGroup(pgid)).toEqual([]);
    const logs = (await server.call("GET", `/deployments/${answer.deployment_id}/logs`)).body as {
      lines: { text: string }[];
    };
    expect(logs.lines.map((l) => l.text).join("\n")).toContain("SIGTERM ignored");
  });

  it("kills a replica that keeps using more CPU than its limit", async () => {
    const answer = (
      await server.call("POST", "/agents/deploy", {
        body: { agent_id: "wild", config_overrides: { max_cpu_cores: 0.2, env: { REPLICA_SCRIPT: "spin" } } },
      })
    ).body as AgentDeployResponse;
    const killed = await until(
      () => getDeployment(server, answer.deployment_id),
      (d) => (d.last_error ?? "").includes("CPU"),
    );
    expect(killed.last_error).toMatch(/used \d+% CPU for 3 samples, over its limit of 0.2 cores/);
    await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
  });

  it("kills a replica that stops sending heartbeats, and starts it again", async () => {
    const answer = (
      await server.call("POST", "/agents/deploy", {
        body: { agent_id: "wild", config_overrides: { env: { REPLICA_SCRIPT: "silent" } } },
      })
    ).body as AgentDeployResponse;
    const restarted = await until(
      () => getDeployment(server, answer.deployment_id),
      (d) => d.restarts >= 1,
    );
    expect(restarted.last_error).toMatch(/sent no heartbeat for \d+ s/);
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
    await server.call("POST", `/agents/deployments/${answer.deployment_id}/stop`);
  });
});
