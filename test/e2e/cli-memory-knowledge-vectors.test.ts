import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_BIN, runCli } from "../support/cli-process.js";
import { databaseTargets, tempDir } from "../support/databases.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

const exec = promisify(execFile);

describe("symbiont memory, knowledge and vectors", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const env = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });
  const docs = tempDir("symbiont-cli-docs-");
  afterAll(() => rmSync(docs, { recursive: true, force: true }));

  it("adds, searches, consolidates and forgets memories", async () => {
    const added = JSON.parse(
      (
        await runCli(
          [
            "memory",
            "add",
            "cli-agent",
            "Dave keeps the spare keys in the blue drawer",
            "--importance",
            "0.9",
            "--json",
          ],
          { env: env() },
        )
      ).stdout,
    ) as { id: string };
    await runCli(["memory", "add", "cli-agent", "The standup is at 9:30"], { env: env() });
    const search = await runCli(["memory", "search", "cli-agent", "where are the spare keys"], {
      env: env(),
    });
    expect(search.stdout.split("\n")[1]).toContain(added.id);
    expect(search.stdout).toContain("blue drawer");
    const list = await runCli(["memory", "list", "cli-agent"], { env: env() });
    expect(list.stdout).toContain("2 of 2");
    expect((await runCli(["memory", "consolidate", "cli-agent"], { env: env() })).stdout).toContain(
      "merged 0 near-duplicates",
    );
    expect((await runCli(["memory", "forget", added.id], { env: env() })).stdout).toContain(
      `Forgot memory ${added.id}`,
    );
    const gone = await runCli(["memory", "get", "cli-agent", added.id], { env: env() });
    expect(gone.code).not.toBe(0);
    const bad = await runCli(["memory", "add", "cli-agent", "x", "--level", "forever"], { env: env() });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected one of "short_term"');
  });

  it("adds a directory of files, skipping binaries; re-adding replaces; search and context find them", async () => {
    mkdirSync(join(docs, "guide"), { recursive: true });
    writeFileSync(
      join(docs, "guide", "install.md"),
      "# Install\n\nRun npm install, then symbiont up to start the runtime.",
    );
    writeFileSync(
      join(docs, "config.ts"),
      "export const retentionDays = 30; // how long audit entries are kept",
    );
    writeFileSync(join(docs, "logo.txt"), Buffer.from([0x89, 0x50, 0x00, 0x01]));
    const added = await runCli(["knowledge", "add", docs], { env: env() });
    expect(added.stdout).toContain("Added 2 files");
    expect(added.stdout).toContain("skipped");
    expect(added.stdout).toContain("binary");
    const again = JSON.parse((await runCli(["knowledge", "add", docs, "--json"], { env: env() })).stdout) as {
      added: { status: string }[];
    };
    expect(again.added.map((a) => a.status)).toEqual(["updated", "updated"]);
    const search = await runCli(["knowledge", "search", "how do I start the runtime", "--threshold", "0.1"], {
      env: env(),
    });
    expect(search.stdout).toContain("install.md");
    const context = await runCli(["knowledge", "context", "audit retention days"], { env: env() });
    expect(context.stdout).toContain("config.ts");
  });

  it("draws a progress bar when stderr is a terminal", async () => {
    // `script` runs the command on a pseudo-terminal, as a user's shell would.
    const command = [process.execPath, CLI_BIN, "knowledge", "add", docs]
      .map((part) => `'${part}'`)
      .join(" ");
    const { stdout } = await exec("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, ...env() },
    });
    expect(stdout).toMatch(/\[#{24}\] 3\/3 done/);
    expect(stdout).toMatch(/\[\.*#*\.*\] 0\/3/);
  });

  it("creates a collection, upserts from a file, searches, gets and deletes points", async () => {
    const points = join(docs, "points.json");
    writeFileSync(
      points,
      JSON.stringify([
        { id: 1, vector: [1, 0], payload: { lang: "en" } },
        { id: "two", vector: [0, 1], payload: { lang: "fr" } },
      ]),
    );
    expect((await runCli(["vectors", "create", "cli-col", "--size", "2"], { env: env() })).stdout).toContain(
      "Created collection cli-col",
    );
    expect((await runCli(["vectors", "upsert", "cli-col", points], { env: env() })).stdout).toContain(
      "Upserted 2 points",
    );
    const found = await runCli(
      ["vectors", "search", "cli-col", "--vector", "[0.1, 0.9]", "--filter", "lang=fr"],
      { env: env() },
    );
    expect(found.stdout).toMatch(/two\s+\{"lang":"fr"\}/);
    const got = JSON.parse(
      (await runCli(["vectors", "get", "cli-col", "1", "two"], { env: env() })).stdout,
    ) as { id: unknown }[];
    expect(got.map((p) => p.id)).toEqual([1, "two"]);
    expect((await runCli(["vectors", "delete", "cli-col", "1"], { env: env() })).stdout).toContain(
      "Deleted 1 points",
    );
    expect((await runCli(["vectors", "count", "cli-col"], { env: env() })).stdout.trim()).toBe("1");
    expect((await runCli(["vectors", "list"], { env: env() })).stdout).toContain("cli-col");
    const wrong = await runCli(["vectors", "search", "cli-col", "--vector", "[1,2,3]"], { env: env() });
    expect(wrong.stderr).toContain("must have 2 numbers");
    expect((await runCli(["vectors", "drop", "cli-col"], { env: env() })).stdout).toContain(
      "Deleted collection cli-col",
    );
  });
});
