import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorBody, SecretResponse, SecretValueResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, tempDir } from "../../../../test/support/databases.js";
import { type FakeVault, startFakeVault } from "../../../../test/support/fake-vault.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";
import { VaultClient, VaultError } from "./vault-client.js";

type Issues = { details: { issues: { field: string; message: string }[] } };
const issuesOf = (body: unknown) => (body as Issues).details.issues;

const vaultBackend = (vaultConfig: Record<string, unknown>) => ({
  backend_type: "vault",
  vault_config: {
    token: null,
    role_id: null,
    secret_id: null,
    kubernetes_role: null,
    aws_role: null,
    ...vaultConfig,
  },
  file_path: null,
  encryption_key: null,
});
const request = (name: string, value: string) => ({
  agent_id: "vaulted",
  secret_name: name,
  secret_value: value,
  description: null,
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`Vault backend through the API on ${target.name}`, () => {
    const server = useTestRuntime(target);
    let vault: FakeVault;
    beforeAll(async () => {
      vault = await startFakeVault({ namespace: "team-a" });
    });
    afterAll(() => vault.close());

    it("refuses credentials Vault rejects, and an unreachable Vault, naming vault_config", async () => {
      const rejected = await server.call("POST", "/secrets/config", {
        body: vaultBackend({ url: vault.url, auth_method: "token", token: "hvs.wrong", namespace: "team-a" }),
      });
      expect(rejected.status).toBe(400);
      expect(issuesOf(rejected.body)[0]?.field).toBe("body.vault_config");
      expect(issuesOf(rejected.body)[0]?.message).toMatch(/403.*permission denied/);
      expect(rejected.text).not.toContain("hvs.wrong");

      const wrongNamespace = await server.call("POST", "/secrets/config", {
        body: vaultBackend({
          url: vault.url,
          auth_method: "token",
          token: vault.rootToken,
          namespace: "team-b",
        }),
      });
      expect(wrongNamespace.status).toBe(400);

      const unreachable = await server.call("POST", "/secrets/config", {
        body: vaultBackend({ url: "http://127.0.0.1:9", auth_method: "token", token: "hvs.x" }),
      });
      expect(issuesOf(unreachable.body)[0]?.message).toMatch(/unreachable/);
      const missing = await server.call("POST", "/secrets/config", {
        body: vaultBackend({ url: vault.url, auth_method: "approle", role_id: "r" }),
      });
      expect(issuesOf(missing.body)[0]?.field).toBe("body.vault_config.secret_id");
    });

    it("stores new versions in Vault KV v2 under the tenant, in its namespace, and reads them back", async () => {
      await server.call("POST", "/secrets", { body: request("BEFORE", "kept-in-the-database") });
      const configured = await server.call("POST", "/secrets/config", {
        body: vaultBackend({
          url: vault.url,
          auth_method: "token",
          token: vault.rootToken,
          namespace: "team-a",
        }),
      });
      expect(configured.body).toEqual({ status: "configured", backend_type: "vault" });

      const stored = SecretResponse.parse(
        (await server.call("POST", "/secrets", { body: request("API_KEY", "in-vault-1") })).body,
      );
      expect(stored.backend).toBe("vault");
      await server.call("POST", "/secrets", { body: request("API_KEY", "in-vault-2") });
      const kv = vault.kv.get("team-a|symbiont/default/agents/vaulted/API_KEY");
      expect(kv?.map((v) => v.data.value)).toEqual(["in-vault-1", "in-vault-2"]);

      expect(
        SecretValueResponse.parse((await server.call("GET", "/secrets/vaulted/API_KEY")).body).value,
      ).toBe("in-vault-2");
      expect(
        SecretValueResponse.parse((await server.call("GET", "/secrets/vaulted/API_KEY/versions/1")).body)
          .value,
      ).toBe("in-vault-1");
      // The version written before the switch stays where it was written.
      expect(
        SecretValueResponse.parse((await server.call("GET", "/secrets/vaulted/BEFORE")).body).value,
      ).toBe("kept-in-the-database");

      const rows = await server.runtime.store.db.selectFrom("secret_versions").selectAll().execute();
      const backends = await server.runtime.store.db.selectFrom("secret_backends").selectAll().execute();
      const stored_ = JSON.stringify([rows, backends]);
      expect(stored_).not.toContain("in-vault-");
      expect(stored_).not.toContain(vault.rootToken);
      const kvCalls = vault.requests.filter((r) => r.path.startsWith("/v1/secret/"));
      expect(kvCalls.length).toBeGreaterThan(0);
      expect(kvCalls.every((r) => r.namespace === "team-a")).toBe(true);
    });

    it("rotates, rolls back and deletes through Vault, destroying dropped versions", async () => {
      await server.call("POST", "/secrets", { body: request("ROTATED", "first") });
      await server.call("POST", "/secrets/vaulted/ROTATED/rotate", {
        body: { value: "second", grace_seconds: 0 },
      });
      expect((await server.call("GET", "/secrets/vaulted/ROTATED/versions/1")).status).toBe(404);
      await server.call("POST", "/secrets", { body: request("ROTATED", "third") });
      const kv = vault.kv.get("team-a|symbiont/default/agents/vaulted/ROTATED");
      expect(kv?.[0]?.destroyed).toBe(true);
      await server.call("POST", "/secrets/vaulted/ROTATED/rollback", { body: { version: 2 } });
      expect(
        SecretValueResponse.parse((await server.call("GET", "/secrets/vaulted/ROTATED")).body).value,
      ).toBe("second");
      expect((await server.call("DELETE", "/secrets/vaulted/ROTATED")).status).toBe(200);
      expect(vault.kv.has("team-a|symbiont/default/agents/vaulted/ROTATED")).toBe(false);
    });

    it("resolves vault:// and secret:// references at the moment of use", async () => {
      vault.kv.set("team-a|apps/billing", [
        { data: { password: "billing-db-pass", user: "billing" }, destroyed: false, created: "" },
      ]);
      const resolver = server.runtime.secrets;
      const use = { tenantId: "default", agentId: "vaulted", purpose: "test" };
      expect(await resolver.resolve("vault://secret/apps/billing#password", use)).toBe("billing-db-pass");
      expect(await resolver.resolve("secret://API_KEY", use)).toBe("in-vault-2");
      expect(await resolver.resolveAll({ A: "plain", B: "vault://secret/apps/billing#user" }, use)).toEqual({
        A: "plain",
        B: "billing",
      });
      await expect(resolver.resolve("vault://secret/apps/billing#nope", use)).rejects.toThrow(
        /no string key "nope"/,
      );
      // Without #key, a secret of one value is that value; one of several must name the key.
      vault.kv.set("team-a|webhooks/github", [
        { data: { secret: "gh-hook-secret" }, destroyed: false, created: "" },
      ]);
      expect(await resolver.resolve("vault://secret/webhooks/github", use)).toBe("gh-hook-secret");
      await expect(resolver.resolve("vault://secret/apps/billing", use)).rejects.toThrow(
        /holds 2 keys; name the one to use with #key/,
      );
      await expect(resolver.resolve("vault://secret/apps/missing#k", use)).rejects.toThrow(/404/);
      await expect(resolver.resolve("vault://secret/../x#k", use)).rejects.toThrow(/segment/);
      await expect(resolver.resolve("secret://NOT_THERE", use)).rejects.toThrow(/no secret "NOT_THERE"/);
      await expect(
        resolver.resolve("vault://secret/apps/billing#password", { tenantId: "other", purpose: "test" }),
      ).rejects.toThrow(/no Vault is configured/);
    });

    it("turns a sealed Vault into a clear 503 that names Vault's state", async () => {
      vault.sealed = true;
      try {
        const read = await server.call("GET", "/secrets/vaulted/API_KEY");
        expect(read.status).toBe(503);
        expect(ErrorBody.parse(read.body).error).toMatch(/Vault answered 503.*sealed/);
        const write = await server.call("POST", "/secrets", { body: request("API_KEY", "not-written") });
        expect(write.status).toBe(503);
        const versions = await server.call("GET", "/secrets/vaulted/API_KEY/versions");
        expect((versions.body as { current_version: number }).current_version).toBe(2);
      } finally {
        vault.sealed = false;
      }
    });
  });
}

describe("Vault client authentication", () => {
  let clock = 1_000_000;
  const now = () => clock;
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault({
      tokenTtlSeconds: 60,
      approle: { roleId: "role-1", secretId: "secret-1" },
      kubernetes: { role: "symbiont", jwt: "eyJ.k8s.jwt" },
      now,
    });
  });
  afterAll(() => vault.close());

  const logins = (path: string) => vault.requests.filter((r) => r.path === `/v1/${path}`).length;

  it("logs in with AppRole, renews the token at two thirds of its lease, logs in again after it expired", async () => {
    const client = new VaultClient(
      {
        url: vault.url,
        namespace: undefined,
        auth: { method: "approle", roleId: "role-1", secretId: "secret-1", mount: "approle" },
        timeoutMs: 2000,
      },
      now,
    );
    await client.call("POST", "secret/data/a", { data: { value: "v" } });
    expect(logins("auth/approle/login")).toBe(1);
    clock += 30_000;
    await client.call("GET", "secret/data/a");
    expect(logins("auth/token/renew-self")).toBe(0);
    clock += 15_000; // 45 s of 60: past two thirds
    await client.call("GET", "secret/data/a");
    expect(logins("auth/token/renew-self")).toBe(1);
    clock += 120_000; // the renewed lease ran out too
    await client.call("GET", "secret/data/a");
    expect(logins("auth/approle/login")).toBe(2);

    const wrong = new VaultClient(
      {
        url: vault.url,
        namespace: undefined,
        auth: { method: "approle", roleId: "role-1", secretId: "nope", mount: "approle" },
        timeoutMs: 2000,
      },
      now,
    );
    await expect(wrong.verify()).rejects.toThrow(/400.*invalid role or secret ID/);
  });

  it("logs in with the Kubernetes service account token, and says so when the token file is missing", async () => {
    const dir = tempDir();
    const jwtPath = join(dir, "token");
    writeFileSync(jwtPath, "eyJ.k8s.jwt\n");
    const client = new VaultClient(
      {
        url: vault.url,
        namespace: undefined,
        auth: { method: "kubernetes", role: "symbiont", jwtPath, mount: "kubernetes" },
        timeoutMs: 2000,
      },
      now,
    );
    await client.verify();
    expect(logins("auth/kubernetes/login")).toBe(1);
    const missing = new VaultClient(
      {
        url: vault.url,
        namespace: undefined,
        auth: { method: "kubernetes", role: "symbiont", jwtPath: join(dir, "absent"), mount: "kubernetes" },
        timeoutMs: 2000,
      },
      now,
    );
    await expect(missing.verify()).rejects.toThrow(/service account token at .*absent: ENOENT/);
  });

  it("looks a static token up and renews it when it has a lease", async () => {
    const token = vault.issueToken(60);
    const client = new VaultClient(
      { url: vault.url, namespace: undefined, auth: { method: "token", token }, timeoutMs: 2000 },
      now,
    );
    await client.verify();
    const renewals = logins("auth/token/renew-self");
    clock += 50_000;
    await client.call("GET", "auth/token/lookup-self");
    expect(logins("auth/token/renew-self")).toBe(renewals + 1);
    const error = await new VaultClient(
      { url: vault.url, namespace: undefined, auth: { method: "token", token: "hvs.bad" }, timeoutMs: 2000 },
      now,
    )
      .verify()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).message).not.toContain("hvs.bad");
  });
});
