import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets } from "../support/databases.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

describe("symbiont audit", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const env = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });

  it("lists what happened and verifies the chain, then names the entry someone altered", async () => {
    for (const id of ["a1", "a2"]) await runCli(["agents", "create", id, "--model", "m"], { env: env() });
    await runCli(["agents", "delete", "a1"], { env: env() });

    const list = await runCli(["audit", "list"], { env: env() });
    expect(list.stdout).toMatch(/SEQ\s+AT\s+ACTOR\s+ACTION/);
    expect(list.stdout).toMatch(
      /3\s+\S+\s+SYMBIONT_API_KEY\s+deleteAgent\s+a1\s+success\s+200\s+127\.0\.0\.1/,
    );
    const filtered = JSON.parse(
      (await runCli(["audit", "list", "--action", "createAgent", "--json"], { env: env() })).stdout,
    ) as unknown[];
    expect(filtered).toHaveLength(2);

    const intact = await runCli(["audit", "verify"], { env: env() });
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain("Audit log intact: 3 entries verified.");

    await server.runtime.store.db
      .updateTable("audit_log")
      .set({ target_id: "someone-else" })
      .where("seq", "=", 2)
      .execute();
    const broken = await runCli(["audit", "verify"], { env: env() });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("Audit log BROKEN at entry 2");
    expect(broken.stderr).toContain("was altered after it was written");
  });

  it("says what to fix for a bad flag", async () => {
    const result = await runCli(["audit", "list", "--limit", "none"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--limit must be a positive whole number");
    const outcome = await runCli(["audit", "list", "--outcome", "maybe"], { env: env() });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain("--outcome");
  });
});
