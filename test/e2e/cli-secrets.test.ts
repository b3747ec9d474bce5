import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI_BIN, runCli } from "../support/cli-process.js";
import { databaseTargets } from "../support/databases.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

/** The real binary with `input` piped on stdin, as `printf %s "$TOKEN" | symbiont ...` does. */
function runWithStdin(args: string[], input: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  child.stdin.end(input);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("symbiont secrets", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const env = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });

  it("sets from stdin and --value, gets, lists, rotates, rolls back and deletes", async () => {
    const set = await runWithStdin(
      ["secrets", "set", "GITHUB_TOKEN", "--agent", "helper"],
      "ghp_first\n",
      env(),
    );
    expect(set.stderr).toBe("");
    expect(set.stdout).toContain("Stored GITHUB_TOKEN of agent helper: version 1 (encrypted_file)");
    expect(set.stdout).not.toContain("ghp_first");

    const get = await runCli(["secrets", "get", "GITHUB_TOKEN", "--agent", "helper"], { env: env() });
    expect(get.stdout).toBe("ghp_first\n");

    const again = await runCli(
      ["secrets", "set", "GITHUB_TOKEN", "--agent", "helper", "--value", "ghp_second"],
      {
        env: env(),
      },
    );
    expect(again.stdout).toContain("version 2");

    const list = await runCli(["secrets", "list", "--agent", "helper"], { env: env() });
    expect(list.stdout).toMatch(/GITHUB_TOKEN\s+2\s+encrypted_file/);
    expect(list.stdout).not.toContain("ghp_");

    const rotated = await runWithStdin(
      ["secrets", "rotate", "GITHUB_TOKEN", "--agent", "helper", "--grace", "1h"],
      "ghp_third",
      env(),
    );
    expect(rotated.stdout).toContain("version 3 is current; version 2 stays readable until");

    const versions = JSON.parse(
      (await runCli(["secrets", "versions", "GITHUB_TOKEN", "--agent", "helper", "--json"], { env: env() }))
        .stdout,
    ) as { versions: { version: number }[] };
    expect(versions.versions.map((v) => v.version)).toEqual([3, 2, 1]);

    const old = await runCli(["secrets", "get", "GITHUB_TOKEN", "--agent", "helper", "--at", "1"], {
      env: env(),
    });
    expect(old.stdout).toBe("ghp_first\n");

    const rolled = await runCli(["secrets", "rollback", "GITHUB_TOKEN", "--agent", "helper", "--to", "1"], {
      env: env(),
    });
    expect(rolled.stdout).toContain("back to the value of version 1: now version 4");
    expect(
      (await runCli(["secrets", "get", "GITHUB_TOKEN", "--agent", "helper"], { env: env() })).stdout,
    ).toBe("ghp_first\n");

    const deleted = await runCli(["secrets", "delete", "GITHUB_TOKEN", "--agent", "helper"], { env: env() });
    expect(deleted.stdout).toContain("Deleted GITHUB_TOKEN of agent helper.");
    const missing = await runCli(["secrets", "get", "GITHUB_TOKEN", "--agent", "helper"], { env: env() });
    expect(missing.code).toBe(5);
  });

  it("keeps tenant secrets without --agent and never echoes a value in an error", async () => {
    const set = await runWithStdin(["secrets", "set", "SHARED"], "tenant-wide-value", env());
    expect(set.stdout).toContain("Stored SHARED of the tenant");
    const tooLong = "hunter2-".repeat(9000);
    const refused = await runCli(["secrets", "set", "SHARED", "--value", tooLong], { env: env() });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--value");
    expect(refused.stderr + refused.stdout).not.toContain("hunter2");
    const badName = await runWithStdin(["secrets", "set", "bad/name"], "sensitive-value", env());
    expect(badName.code).not.toBe(0);
    expect(badName.stderr + badName.stdout).not.toContain("sensitive-value");
    const empty = await runWithStdin(["secrets", "set", "EMPTY"], "", env());
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("empty");
  });
});
