import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Schedule, ScheduleHistory } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";
import { conversation } from "../support/scripted-agents.js";

describe("symbiont schedules", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
    await server.call("POST", "/agents", { body: sampleAgent("clerk") });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("creates a schedule that fires real runs, shows them, pauses, resumes and deletes it", async () => {
    const help = await runCli(["schedules", "--help"], { env });
    expect(help.stdout).toContain("run_latest");
    expect(help.stdout).toContain("symbiont schedules create --name digest");

    const created = await runCli(
      [
        "schedules",
        "create",
        "--name",
        "beat",
        "--agent",
        "clerk",
        "--cron",
        "* * * * * *",
        "--input",
        "beat",
        "--json",
      ],
      { env },
    );
    expect(created.stderr).toBe("");
    const schedule = JSON.parse(created.stdout) as Schedule;
    expect(schedule).toMatchObject({ name: "beat", cron: "* * * * * *", status: "active" });

    // Waiting on the runtime directly: a CLI process per poll would only add start-up time.
    let history: ScheduleHistory = { items: [] };
    for (let i = 0; i < 200 && !history.items.some((f) => f.status === "started"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      history = (await server.call("GET", `/schedules/${schedule.id}/history`)).body as ScheduleHistory;
    }
    const paused = await runCli(["schedules", "pause", schedule.id], { env });
    expect(paused.stdout).toContain("paused");
    const fired = history.items.find((f) => f.status === "started");
    expect(fired?.run_id).toEqual(expect.any(String));
    const text = await runCli(["schedules", "history", schedule.id], { env });
    expect(text.stdout).toContain(fired?.run_id as string);

    const got = await runCli(["schedules", "get", schedule.id], { env });
    expect(got.stdout).toContain('cron "* * * * * *" UTC');
    expect(got.stdout).toContain("paused");
    const resumed = await runCli(["schedules", "resume", schedule.id], { env });
    expect(resumed.stdout).toContain("Resumed");
    expect((await runCli(["schedules", "list"], { env })).stdout).toContain("beat");
    const deleted = await runCli(["schedules", "delete", schedule.id], { env });
    expect(deleted.stdout).toContain(`Deleted schedule ${schedule.id}`);
    const gone = await runCli(["schedules", "get", schedule.id], { env });
    expect(gone.code).toBe(5);
    // Each CLI call is a process start: on a loaded machine this test takes its time.
  }, 90_000);

  it("says what is wrong with a bad schedule", async () => {
    const both = await runCli(["schedules", "create", "--name", "x", "--agent", "clerk"], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--cron (recurring) or --at (one time)");
    const badCron = await runCli(
      ["schedules", "create", "--name", "x", "--agent", "clerk", "--cron", "61 * * * *"],
      {
        env,
      },
    );
    expect(badCron.code).not.toBe(0);
    expect(badCron.stderr).toContain("--cron: is not a cron the scheduler reads");
    expect(badCron.stderr).toContain("minute: 61");
    const badZone = await runCli(
      [
        "schedules",
        "create",
        "--name",
        "x",
        "--agent",
        "clerk",
        "--cron",
        "@daily",
        "--timezone",
        "Nowhere/City",
      ],
      { env },
    );
    expect(badZone.stderr).toContain("--timezone: must be an IANA time zone");
    const badMissed = await runCli(
      ["schedules", "create", "--name", "x", "--agent", "clerk", "--cron", "@daily", "--missed", "maybe"],
      { env },
    );
    expect(badMissed.code).toBe(2);
  }, 60_000);

  it("stores the schedules of a registered .symbi file and reports them", async () => {
    const file = join(database.dataDir, "reporter.symbi");
    writeFileSync(
      file,
      'agent reporter {\n    model: "llama3.2"\n}\n\nschedule weekly_report {\n    cron: "0 9 * * MON"\n    timezone: "Europe/Berlin"\n    agent: reporter\n}\n',
    );
    const registered = await runCli(["dsl", "register", file], { env });
    expect(registered.stderr).toBe("");
    expect(registered.stdout).toContain("Stored 1 schedule(s), 0 policy rule(s) and 0 webhook endpoint(s)");
    const list = await runCli(["schedules", "list", "--agent", "reporter"], { env });
    expect(list.stdout).toContain("weekly_report");
    expect(list.stdout).toContain("Europe/Berlin");
  });
});
