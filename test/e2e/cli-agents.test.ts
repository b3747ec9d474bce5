import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase, tempDir } from "../support/databases.js";
import { startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

describe("symbiont agents", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database);
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("creates, lists, shows, updates and deletes an agent", async () => {
    const created = await runCli(
      [
        "agents",
        "create",
        "helper",
        "--model",
        "llama3.2",
        "--system-prompt",
        "You help.",
        "--tool",
        "search",
        "--tool",
        "fetch",
      ],
      { env },
    );
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("Created agent helper");

    const list = await runCli(["agents", "list"], { env });
    expect(list.stdout).toMatch(/ID\s+NAME\s+MODEL\s+STATE/);
    expect(list.stdout).toMatch(/helper\s+helper\s+llama3\.2\s+idle/);

    const shown = await runCli(["agents", "get", "helper", "--json"], { env });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: "helper",
      tools: ["search", "fetch"],
      system_prompt: "You help.",
      status: { state: "idle" },
    });

    const updated = await runCli(["agents", "update", "helper", "--temperature", "0.2", "--json"], { env });
    expect(JSON.parse(updated.stdout)).toMatchObject({ temperature: 0.2, version: 2, model: "llama3.2" });

    const deleted = await runCli(["agents", "delete", "helper"], { env });
    expect(deleted.stdout).toContain("Deleted agent helper");
    const gone = await runCli(["agents", "get", "helper"], { env });
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('Agent "helper" not found');
  });

  it("reads an agent from a YAML file, with flags overriding it", async () => {
    const dir = tempDir();
    const file = join(dir, "agent.yaml");
    writeFileSync(
      file,
      "name: From file\nmodel: file-model\nsystem_prompt: |\n  line one\n  line two\ntools: [a]\n",
    );
    const created = await runCli(
      ["agents", "create", "filed", "--file", file, "--model", "flag-model", "--json"],
      { env },
    );
    expect(JSON.parse(created.stdout)).toMatchObject({ agent_id: "filed", status: "created" });
    const definition = (await server.call("GET", "/agents/filed/definition")).body;
    expect(definition).toMatchObject({
      name: "From file",
      model: "flag-model",
      system_prompt: "line one\nline two\n",
      tools: ["a"],
    });
  });

  it("points at the flag to fix when the server rejects a value, with exit code 2", async () => {
    const result = await runCli(["agents", "create", "hot", "--model", "m", "--temperature", "9"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--temperature: must be between 0 and 2");
    const notNumber = await runCli(["agents", "create", "hot", "--model", "m", "--max-tokens", "lots"], {
      env,
    });
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('--max-tokens must be a whole number, not "lots"');
    const noModel = await runCli(["agents", "create", "hot"], { env });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain("--model is required");
  });

  it("reports a duplicate with exit code 6 and JSON errors under --json", async () => {
    await runCli(["agents", "create", "twice", "--model", "m"], { env });
    const again = await runCli(["agents", "create", "twice", "--model", "m", "--json"], { env });
    expect(again.code).toBe(6);
    expect(JSON.parse(again.stderr).error).toContain("already exists");
  });

  it("explains a refused or missing key with exit code 4", async () => {
    const wrong = await runCli(["agents", "list"], {
      env: { ...env, SYMBIONT_API_KEY: "not-the-right-key-at-all" },
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain("refused the API key");
    expect(wrong.stderr).not.toContain("not-the-right-key-at-all");
    const none = await runCli(["agents", "list"], {
      env: { SYMBIONT_BASE_URL: server.runtime.url },
      cwd: tempDir(),
    });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("Not logged in");
  });

  it("says how to start the runtime when it cannot be reached, with exit code 3", async () => {
    const result = await runCli(["agents", "list", "--url", "http://127.0.0.1:9"], {
      env: { SYMBIONT_API_KEY: TEST_API_KEY },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("Cannot reach the Symbiont runtime at http://127.0.0.1:9/api/v1");
    expect(result.stderr).toContain("symbiont up");
  });

  it("teaches through --help and rejects unknown commands with exit code 2", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Quick start:");
    const createHelp = await runCli(["agents", "create", "--help"]);
    expect(createHelp.stdout).toContain("--system-prompt-file");
    const unknown = await runCli(["agnets"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command");
  });
});
