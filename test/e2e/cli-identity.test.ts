import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, tempDir } from "../support/databases.js";
import { PASSWORD } from "../support/identity.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

describe("symbiont login, users, roles and tenants", () => {
  const server = useTestRuntime(databaseTargets[0]!, { rateLimitAuthPerMinute: 0 });
  const admin = () => ({ SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url });

  it("creates a user, logs in with a 0600 credentials file, acts as the user, and logs out", async () => {
    const created = await runCli(["users", "create", "cli-alice", "--role", "operator", "--password-stdin"], {
      env: admin(),
      input: `${PASSWORD}\n`,
    });
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("Created user cli-alice");

    const config = tempDir();
    const as = { SYMBIONT_BASE_URL: server.runtime.url, SYMBIONT_CONFIG_DIR: config };
    const login = await runCli(["login", "-u", "cli-alice", "--password-stdin"], {
      env: as,
      input: PASSWORD,
    });
    expect(login.stderr).toBe("");
    expect(login.stdout).toContain("Logged in to");
    expect(login.stdout).toContain("roles: operator");
    const file = join(config, "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(config).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, "utf8")).not.toContain(PASSWORD);

    const whoami = await runCli(["whoami"], { env: as });
    expect(whoami.stdout).toContain("You are cli-alice");
    expect(whoami.stdout).toContain("permissions: delete, execute, read, write");
    const agent = await runCli(["agents", "create", "by-alice", "--model", "m"], { env: as });
    expect(agent.stdout).toContain("Created agent by-alice");
    const forbidden = await runCli(["users", "list"], { env: as });
    expect(forbidden.code).toBe(0);
    const denied = await runCli(["roles", "create", "x", "--permission", "read"], { env: as });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain("roles:manage");

    const logout = await runCli(["logout"], { env: as });
    expect(logout.stdout).toContain("Logged out");
    const after = await runCli(["agents", "list"], { env: as });
    expect(after.code).toBe(4);
    expect(after.stderr).toContain("Not logged in");
  });

  it("says what is wrong with a refused login, and asks for a code flag without a terminal", async () => {
    const config = tempDir();
    const as = { SYMBIONT_BASE_URL: server.runtime.url, SYMBIONT_CONFIG_DIR: config };
    const refused = await runCli(["login", "-u", "nobody", "--password-stdin"], {
      env: as,
      input: "wrong password here",
    });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("Login refused: Invalid username or password");
    const noPassword = await runCli(["login", "-u", "nobody"], { env: as });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain("--password-stdin");
  });

  it("manages roles and tenants, and a tenant admin logs into its tenant", async () => {
    const role = await runCli(
      ["roles", "create", "cli-auditor", "--permission", "audit:read", "--description", "reads the trail"],
      { env: admin() },
    );
    expect(role.stdout).toContain("Created role cli-auditor");
    const roles = await runCli(["roles", "list"], { env: admin() });
    expect(roles.stdout).toMatch(/cli-auditor\s+custom\s+audit:read\s+reads the trail/);
    expect(roles.stdout).toMatch(/viewer\s+built-in\s+read/);

    const tenant = await runCli(
      ["tenants", "create", "cli-acme", "--name", "Acme", "--admin", "root", "--password-stdin"],
      {
        env: admin(),
        input: PASSWORD,
      },
    );
    expect(tenant.stdout).toContain("Created tenant cli-acme (Acme), 1 user(s)");
    const list = await runCli(["tenants", "list", "--json"], { env: admin() });
    expect((JSON.parse(list.stdout) as { id: string }[]).map((t) => t.id)).toContain("cli-acme");

    const as = { SYMBIONT_BASE_URL: server.runtime.url, SYMBIONT_CONFIG_DIR: tempDir() };
    const login = await runCli(["login", "-u", "root", "--tenant", "cli-acme", "--password-stdin"], {
      env: as,
      input: PASSWORD,
    });
    expect(login.stdout).toContain("as root (Acme; roles: admin)");
    const users = await runCli(["users", "list", "--json"], { env: as });
    expect((JSON.parse(users.stdout) as { username: string }[]).map((u) => u.username)).toEqual(["root"]);
    const weak = await runCli(["users", "create", "weakling", "--password-stdin"], {
      env: as,
      input: "short",
    });
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain("--password: must be at least 12 characters");
  });
});
