import type { Run } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";
import { conversation, RecordingTools } from "../support/scripted-agents.js";

describe("symbiont run, approvals and policies", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(
      database,
      { ollamaBaseUrl: model.url },
      { toolProviders: [new RecordingTools()] },
    );
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
    await server.call("POST", "/agents", { body: sampleAgent("ops", { tools: ["current_time", "deploy"] }) });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("manages policies and streams a run's steps", async () => {
    const created = await runCli(
      [
        "policies",
        "create",
        "--name",
        "clock",
        "--policy",
        'permit(principal, action, resource == Tool::"current_time");',
      ],
      { env },
    );
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("Created policy");
    expect((await runCli(["policies", "list"], { env })).stdout).toContain("clock");
    const verdict = await runCli(["policies", "evaluate", "--agent", "ops", "--tool", "deploy"], { env });
    expect(verdict.stdout).toContain("deny");
    const bad = await runCli(["policies", "create", "--name", "x", "--policy", "permit("], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--policy: unexpected end of input");

    const run = await runCli(["run", "ops", "time: in Paris?"], { env });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("model llama3.2");
    expect(run.stdout).toContain("gate current_time: allow");
    expect(run.stdout).toContain("tool current_time");
    expect(run.stdout.trim().split("\n").at(-1)).toContain("It is");
    const failed = await runCli(["run", "ops", "loop: x", "--max-steps", "1"], { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("step limit");
  });

  it("lists and decides approvals", async () => {
    await runCli(
      [
        "policies",
        "create",
        "--name",
        "ask",
        "--agent",
        "ops",
        "--policy",
        '@approval("required") permit(principal, action, resource == Tool::"deploy");',
      ],
      { env },
    );
    const started = await runCli(["run", "ops", "deploy: now", "--detach", "--json"], { env });
    const id = (JSON.parse(started.stdout) as Run).id;
    for (let i = 0; i < 100; i++) {
      const run = (await server.call("GET", `/runs/${id}`)).body as Run;
      if (run.status === "awaiting_approval") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const list = await runCli(["approvals", "list"], { env });
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain("deploy");
    const approved = await runCli(["approvals", "approve", id, "--comment", "go"], { env });
    expect(approved.stdout).toContain("Approved");
    const shown = await runCli(["runs", "get", id], { env });
    expect(shown.stdout).toContain("approval deploy: approved");
    expect((await runCli(["approvals", "deny", id], { env })).code).toBe(6);
  });
});
