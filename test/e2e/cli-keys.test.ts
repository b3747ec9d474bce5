import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets } from "../support/databases.js";
import { sampleAgent, TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

describe("symbiont keys", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const env = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });

  it("creates a key shown once, lists it without the secret, and revokes it", async () => {
    const created = await runCli(
      [
        "keys",
        "create",
        "ci-deployer",
        "--permission",
        "agents:read",
        "--permission",
        "agents:write",
        "--expires-in",
        "30d",
      ],
      { env: env() },
    );
    expect(created.stderr).toBe("");
    const key = /sym_([a-z0-9]+)_[A-Za-z0-9_-]{43}/.exec(created.stdout);
    expect(key).not.toBeNull();
    expect(created.stdout).toContain("shown this once");
    const [whole, id] = key as unknown as [string, string];

    const useIt = await runCli(["agents", "create", "from-cli-key", "--model", "m"], {
      env: { ...env(), SYMBIONT_API_KEY: whole },
    });
    expect(useIt.stdout).toContain("Created agent from-cli-key");

    const list = await runCli(["keys", "list"], { env: env() });
    expect(list.stdout).toMatch(
      new RegExp(`${id}\\s+ci-deployer\\s+active\\s+agents:read,agents:write\\s+all`),
    );
    expect(list.stdout).not.toContain(whole.slice(-20));

    const revoked = await runCli(["keys", "revoke", id], { env: env() });
    expect(revoked.stdout).toContain(`Revoked API key ${id}`);
    const refused = await runCli(["agents", "list"], { env: { ...env(), SYMBIONT_API_KEY: whole } });
    expect(refused.code).toBe(4);
    const listed = JSON.parse((await runCli(["keys", "get", id, "--json"], { env: env() })).stdout) as {
      revoked_at: string | null;
    };
    expect(listed.revoked_at).not.toBeNull();
  });

  it("limits a key to named agents", async () => {
    await server.call("POST", "/agents", { body: sampleAgent("visible") });
    await server.call("POST", "/agents", { body: sampleAgent("hidden") });
    const created = JSON.parse(
      (
        await runCli(["keys", "create", "support", "--permission", "read", "--agent", "visible", "--json"], {
          env: env(),
        })
      ).stdout,
    ) as { key: string; agent_ids: string[] };
    expect(created.agent_ids).toEqual(["visible"]);
    const seen = JSON.parse(
      (await runCli(["agents", "list", "--json"], { env: { ...env(), SYMBIONT_API_KEY: created.key } }))
        .stdout,
    ) as {
      id: string;
    }[];
    expect(seen.map((a) => a.id)).toEqual(["visible"]);
  });

  it("says what to fix: a grant you do not hold, a misspelt grant, a bad duration", async () => {
    const limited = JSON.parse(
      (
        await runCli(
          [
            "keys",
            "create",
            "keymaker",
            "--permission",
            "keys:write",
            "--permission",
            "agents:read",
            "--json",
          ],
          { env: env() },
        )
      ).stdout,
    ) as { key: string };
    const escalate = await runCli(["keys", "create", "sneaky", "--permission", "admin"], {
      env: { ...env(), SYMBIONT_API_KEY: limited.key },
    });
    expect(escalate.code).toBe(4);
    expect(escalate.stderr).toContain('you do not hold "admin" yourself');

    const typo = await runCli(["keys", "create", "typo", "--permission", "agent:read"], { env: env() });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("--permission");

    const duration = await runCli(["keys", "create", "x", "--permission", "read", "--expires-in", "soon"], {
      env: env(),
    });
    expect(duration.code).toBe(2);
    expect(duration.stderr).toContain("--expires-in must look like 90m, 12h or 30d");

    const none = await runCli(["keys", "create", "x"], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("at least one --permission");
  });
});
