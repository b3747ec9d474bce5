import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, tempDir } from "../support/databases.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

const FIXTURES = fileURLToPath(new URL("../../packages/dsl/test-fixtures/", import.meta.url));

describe("symbiont dsl", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const env = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });

  it("check: a code frame at the error's line and column, exit code 1; a good file passes", async () => {
    const broken = await runCli(["dsl", "check", `${FIXTURES}broken/missing-colon-in-rule.symbi`]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("error[E1001]: expected ':' after 'allow', found '['");
    expect(broken.stdout).toContain("missing-colon-in-rule.symbi:4:15");
    expect(broken.stdout).toContain('4 |         allow ["read"] if true');
    expect(broken.stdout).toContain("|               ^");
    // Not a terminal here, so no colour codes.
    expect(broken.stdout).not.toContain("\u001b[");
    expect(broken.stderr).toContain("1 error, 0 warnings");

    const good = await runCli(["dsl", "check", `${FIXTURES}incident_tracker.symbi`]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("incident_tracker.symbi: ok (0 errors, 0 warnings)");

    const json = await runCli(["dsl", "check", "--json", `${FIXTURES}broken/bad-cron-hour.symbi`]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      diagnostics: [{ code: "E2004", line: 3, column: 11, severity: "error" }],
    });

    const missing = await runCli(["dsl", "check", "nowhere.symbi"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nowhere.symbi: no such file");
  });

  it("fmt: --check fails on an unformatted file, --write fixes it, and then --check passes", async () => {
    const dir = tempDir();
    const file = join(dir, "messy.symbi");
    writeFileSync(file, 'agent   a{name:"A"\n  with timeout=5s{return   1}}\n');
    const check = await runCli(["dsl", "fmt", "--check", file]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("is not formatted");

    const printed = await runCli(["dsl", "fmt", file]);
    expect(printed.stdout).toBe(
      'agent a {\n    name: "A"\n    with timeout = 5s {\n        return 1\n    }\n}\n',
    );

    expect((await runCli(["dsl", "fmt", "--write", file])).stdout).toContain(`formatted ${file}`);
    expect(readFileSync(file, "utf8")).toBe(printed.stdout);
    expect((await runCli(["dsl", "fmt", "--check", file])).code).toBe(0);
    expect((await runCli(["dsl", "fmt", "--write", file])).stdout).toContain("unchanged");

    const brokenCopy = join(dir, "broken.symbi");
    copyFileSync(`${FIXTURES}broken/unterminated-string.symbi`, brokenCopy);
    const refused = await runCli(["dsl", "fmt", "--write", brokenCopy]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("error[E0002]");
    expect(readFileSync(brokenCopy, "utf8")).toBe(
      readFileSync(`${FIXTURES}broken/unterminated-string.symbi`, "utf8"),
    );
  });

  it("compile: a summary offline, the whole definition with --json", async () => {
    const human = await runCli(["dsl", "compile", `${FIXTURES}incident_tracker.symbi`]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("agent incident_tracker (Incident Tracker)");
    expect(human.stdout).toContain("webhook github_incidents: github /hooks/github -> incident_tracker");
    const json = await runCli(["dsl", "compile", "--json", `${FIXTURES}incident_tracker.symbi`]);
    const parsed = JSON.parse(json.stdout) as { definition: { schedules: unknown[] } };
    expect(parsed.definition.schedules).toEqual([
      expect.objectContaining({ cron: "0 0 9 * * *", timezone: "Europe/Berlin", agent: "incident_tracker" }),
    ]);
  });

  it("register: compiles on the runtime and creates, then updates, the agent", async () => {
    const file = `${FIXTURES}readme-webhook-handler.symbi`;
    const first = await runCli(["dsl", "register", file], { env: env() });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Registered agent webhook_handler");
    expect(first.stdout).toContain("sets no 'model'");
    const second = await runCli(["dsl", "register", file, "--name", "webhook_handler"], { env: env() });
    expect(second.stdout).toContain("Updated agent webhook_handler");
    const definition = (await server.call("GET", "/agents/webhook_handler/definition")).body;
    expect(definition).toMatchObject({ name: "Webhook Handler", version: 2 });

    const dry = await runCli(["dsl", "register", file, "--name", "dry_one", "--dry-run"], { env: env() });
    expect(dry.stdout).toContain("nothing registered");
    expect((await server.call("GET", "/agents/dry_one")).status).toBe(404);

    const broken = await runCli(["dsl", "register", `${FIXTURES}broken/model-not-string.symbi`], {
      env: env(),
    });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("model-not-string.symbi:3:12");
    expect(broken.stderr).toContain("not registered (1 error, 0 warnings)");
  });
});
