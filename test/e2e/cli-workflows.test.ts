import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkflowExecution } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase, tempDir } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";
import { conversation } from "../support/scripted-agents.js";

const TRIAGE = `name: triage
description: summarise, then ask before paging
parameters:
  ticket: { type: string, required: true }
steps:
  - { id: summary, type: agent, agent_id: helper, input: "Summarise: {{ params.ticket }}" }
  - { id: page, type: approval, message: "Page for {{ steps.summary.output }}?" }
  - { id: notify, type: agent, agent_id: helper, input: "notify: {{ steps.summary.output }}", depends_on: [page] }
`;

describe("symbiont workflows", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
    await server.call("POST", "/agents", { body: sampleAgent("helper", { tools: [] }) });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  // Each of these spawns a dozen CLI processes: on a busy machine that takes a while.
  it("creates from YAML, lists, runs to an approval, approves, and shows the status", async () => {
    const file = join(tempDir(), "triage.yaml");
    writeFileSync(file, TRIAGE);
    const created = await runCli(["workflows", "create", file], { env });
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("Created triage v1");
    const again = await runCli(["workflows", "create", file], { env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("--new-version");
    expect((await runCli(["workflows", "create", file, "--new-version"], { env })).stdout).toContain(
      "triage v2",
    );
    expect((await runCli(["workflows", "list"], { env })).stdout).toMatch(/triage\s+2\s+3/);
    expect(
      (await runCli(["workflows", "get", "triage", "--workflow-version", "1"], { env })).stdout,
    ).toContain("summary  (agent)");

    const run = await runCli(["workflows", "run", "triage", "-p", "ticket=Site down"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/summary\s+agent\s+succeeded/);
    expect(run.stdout).toContain(
      "Waiting for approval of step page: Page for Hello! You said: Summarise: Site down?",
    );
    const id = /execution ([0-9a-f-]{36})/.exec(run.stdout)?.[1] as string;
    const approved = await runCli(["workflows", "approve", id, "--comment", "go"], { env });
    expect(approved.stdout).toContain(`Approved; execution ${id}`);
    let status: WorkflowExecution | undefined;
    for (let i = 0; i < 100 && status?.status !== "succeeded"; i++) {
      status = JSON.parse(
        (await runCli(["workflows", "status", id, "--json"], { env })).stdout,
      ) as WorkflowExecution;
      if (status.status !== "succeeded") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status?.steps.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect((await runCli(["workflows", "executions", "--workflow", "triage"], { env })).stdout).toContain(id);
    const badParam = await runCli(["workflows", "run", "triage", "-p", "nonsense"], { env });
    expect(badParam.code).not.toBe(0);
    expect(badParam.stderr).toContain("name=value");
    const missing = await runCli(["workflows", "run", "triage"], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("-p ticket: is required");
  }, 120_000);

  it("prints and creates the orchestra template, then runs it", async () => {
    const printed = await runCli(["workflows", "template", "orchestra"], { env });
    const definition = JSON.parse(printed.stdout) as { steps: { id: string }[] };
    expect(definition.steps.map((s) => s.id)).toEqual([
      "reflect_1",
      "reflect_2",
      "reflect_3",
      "disagreement",
      "synthesis",
    ]);
    const noModel = await runCli(["workflows", "template", "orchestra", "--create"], { env });
    expect(noModel.code).not.toBe(0);
    expect(noModel.stderr).toContain("--model");
    const created = await runCli(["workflows", "template", "orchestra", "--create", "--model", "llama3.2"], {
      env,
    });
    expect(created.stdout).toContain("created agent orchestra-skeptic");
    expect(created.stdout).toContain("Created orchestra v1");
    const run = await runCli(["workflows", "run", "orchestra", "-p", "question=Tabs or spaces?", "--json"], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    const execution = JSON.parse(run.stdout) as WorkflowExecution;
    expect(execution.status).toBe("succeeded");
    expect(execution.result).toHaveProperty("disagreement_index");
    const help = await runCli(["workflows", "template", "--help"], { env });
    expect(help.stdout).toContain("disagreement index");
  }, 120_000);

  it("cancels a running execution", async () => {
    await server.call("POST", "/workflow-definitions", {
      body: { name: "sleepy", steps: [{ id: "nap", type: "agent", agent_id: "helper", input: "slow: nap" }] },
    });
    const started = await runCli(["workflows", "run", "sleepy", "--detach", "--json"], { env });
    const id = (JSON.parse(started.stdout) as { execution_id: string }).execution_id;
    const cancelled = await runCli(["workflows", "cancel", id], { env });
    expect(cancelled.stdout).toContain(`Execution ${id} cancelled`);
  });
});
