import {
  ErrorBody,
  SecretChangedResponse,
  SecretListResponse,
  SecretResponse,
  SecretValueResponse,
  SecretVersionList,
} from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

type Issues = { details: { issues: { field: string; message: string }[] } };
const fieldsOf = (body: unknown) => (body as Issues).details.issues.map((issue) => issue.field);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const secretRequest = (
  agent: string,
  name: string,
  value: string | null,
  description: string | null = null,
) => ({
  agent_id: agent,
  secret_name: name,
  secret_value: value,
  description,
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`secrets API on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("stores, reads, lists and deletes a secret with the contract's shapes", async () => {
      const stored = await server.call("POST", "/secrets", {
        body: secretRequest("bot", "API_TOKEN", "s3cr3t"),
      });
      expect(stored.status).toBe(200);
      const first = SecretResponse.parse(stored.body);
      expect(first).toMatchObject({
        secret_name: "API_TOKEN",
        agent_id: "bot",
        version: 1,
        backend: "encrypted_file",
      });
      expect(stored.text).not.toContain("s3cr3t");

      const read = await server.call("GET", "/secrets/bot/API_TOKEN");
      expect(SecretValueResponse.parse(read.body)).toMatchObject({ value: "s3cr3t", version: 1 });

      const listed = SecretListResponse.parse((await server.call("GET", "/secrets/bot")).body);
      expect(listed.secrets).toEqual(["API_TOKEN"]);
      expect(listed.agent_id).toBe("bot");
      expect(JSON.stringify(listed)).not.toContain("s3cr3t");

      const deleted = await server.call("DELETE", "/secrets/bot/API_TOKEN");
      expect(deleted.body).toEqual({ deleted: true, agent_id: "bot", secret_name: "API_TOKEN" });
      expect((await server.call("GET", "/secrets/bot/API_TOKEN")).status).toBe(404);
      expect((await server.call("DELETE", "/secrets/bot/API_TOKEN")).status).toBe(404);
    });

    it("lists an unknown agent as an empty list, per the contract", async () => {
      const listed = await server.call("GET", "/secrets/nobody-here");
      expect(listed.status).toBe(200);
      expect(listed.body).toMatchObject({ secrets: [], agent_id: "nobody-here", items: [] });
    });

    it("overwriting writes a new version and sets updated_at; old versions stay for rollback", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "DB", "one", "the database") });
      await new Promise((r) => setTimeout(r, 5));
      const second = SecretResponse.parse(
        (await server.call("POST", "/secrets", { body: secretRequest("bot", "DB", "two") })).body,
      );
      expect(second.version).toBe(2);
      expect(second.description).toBe("the database");
      expect(second.updated_at && second.updated_at > second.created_at).toBe(true);

      const versions = SecretVersionList.parse((await server.call("GET", "/secrets/bot/DB/versions")).body);
      expect(versions.versions.map((v) => [v.version, v.current])).toEqual([
        [2, true],
        [1, false],
      ]);
      expect(JSON.stringify(versions)).not.toContain("one");

      const old = await server.call("GET", "/secrets/bot/DB/versions/1");
      expect(SecretValueResponse.parse(old.body).value).toBe("one");

      const rolled = SecretChangedResponse.parse(
        (await server.call("POST", "/secrets/bot/DB/rollback", { body: { version: 1 } })).body,
      );
      expect(rolled).toMatchObject({ version: 3, previous_version: 2 });
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/bot/DB")).body).value).toBe("one");

      const same = await server.call("POST", "/secrets/bot/DB/rollback", { body: { version: 3 } });
      expect(same.status).toBe(400);
      expect(fieldsOf(same.body)).toEqual(["body.version"]);
      expect((await server.call("POST", "/secrets/bot/DB/rollback", { body: { version: 99 } })).status).toBe(
        404,
      );
    });

    it("rotation keeps the previous value readable for the grace period only", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "ROT", "old-value") });
      const rotated = await server.call("POST", "/secrets/bot/ROT/rotate", {
        body: { value: "new-value", grace_seconds: 1 },
      });
      const changed = SecretChangedResponse.parse(rotated.body);
      expect(changed).toMatchObject({ version: 2, previous_version: 1 });
      expect(changed.previous_retires_at).not.toBeNull();
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/bot/ROT")).body).value).toBe(
        "new-value",
      );
      expect(
        SecretValueResponse.parse((await server.call("GET", "/secrets/bot/ROT/versions/1")).body).value,
      ).toBe("old-value");

      await new Promise((r) => setTimeout(r, 1100));
      const gone = await server.call("GET", "/secrets/bot/ROT/versions/1");
      expect(gone.status).toBe(404);
      expect(gone.text).not.toContain("old-value");
      const versions = SecretVersionList.parse((await server.call("GET", "/secrets/bot/ROT/versions")).body);
      expect(versions.versions.map((v) => v.version)).toEqual([2]);
      expect((await server.call("POST", "/secrets/bot/ROT/rollback", { body: { version: 1 } })).status).toBe(
        404,
      );

      // The next write removes the retired version for good.
      await server.call("POST", "/secrets", { body: secretRequest("bot", "ROT", "third") });
      const rows = await server.runtime.store.db
        .selectFrom("secret_versions")
        .select("version")
        .where("agent_id", "=", "bot")
        .where("name", "=", "ROT")
        .execute();
      expect(rows.map((r) => r.version).sort()).toEqual([2, 3]);
    });

    it("keeps tenant-wide secrets under `*`, apart from agents' secrets", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("*", "SHARED", "tenant-value") });
      await server.call("POST", "/secrets", { body: secretRequest("helper", "SHARED", "agent-value") });
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/*/SHARED")).body).value).toBe(
        "tenant-value",
      );
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/helper/SHARED")).body).value).toBe(
        "agent-value",
      );
      expect(SecretListResponse.parse((await server.call("GET", "/secrets/*")).body).secrets).toContain(
        "SHARED",
      );
    });

    it("never stores plaintext: the database holds AES-GCM ciphertext bound to its row", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "PLAIN", "find-me-if-you-can") });
      const rows = await server.runtime.store.db.selectFrom("secret_versions").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain("find-me-if-you-can");
      const row = rows.find((r) => r.name === "PLAIN");
      expect(row?.sealed).toMatch(/^v1\./);
    });

    it("detects ciphertext swapped between rows or altered, and reports it without emptying it", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "VICTIM", "victim-value") });
      await server.call("POST", "/secrets", { body: secretRequest("bot", "ATTACKER", "attacker-value") });
      const db = server.runtime.store.db;
      const attacker = await db
        .selectFrom("secret_versions")
        .select("sealed")
        .where("name", "=", "ATTACKER")
        .executeTakeFirstOrThrow();
      await db
        .updateTable("secret_versions")
        .set({ sealed: attacker.sealed })
        .where("name", "=", "VICTIM")
        .execute();
      const swapped = await server.call("GET", "/secrets/bot/VICTIM");
      expect(swapped.status).toBe(500);
      expect(ErrorBody.parse(swapped.body).error).toMatch(/failed authentication/);
      expect(swapped.text).not.toContain("attacker-value");

      const flipped = `${attacker.sealed.slice(0, -2)}${attacker.sealed.endsWith("A") ? "B" : "A"}A`;
      await db.updateTable("secret_versions").set({ sealed: flipped }).where("name", "=", "VICTIM").execute();
      const altered = await server.call("GET", "/secrets/bot/VICTIM");
      expect(altered.status).toBe(500);
      const after = await db
        .selectFrom("secret_versions")
        .select("sealed")
        .where("name", "=", "VICTIM")
        .execute();
      expect(after[0]?.sealed).toBe(flipped);
    });

    it("refuses malformed, oversized, unicode-hostile and unknown input with 400 naming the field", async () => {
      const cases: [unknown, string][] = [
        [secretRequest("bad/agent", "X", "v"), "body.agent_id"],
        [secretRequest("bot", "../etc", "v"), "body.secret_name"],
        [secretRequest("bot", "..", "v"), "body.secret_name"],
        [secretRequest("bot", "X", ""), "body.secret_value"],
        [secretRequest("bot", "X", null), "body.secret_value"],
        [secretRequest("bot", "X", "a\u0000b"), "body.secret_value"],
        [secretRequest("bot", "X", "\ud800"), "body.secret_value"],
        [secretRequest("bot", "X", "x".repeat(65_537)), "body.secret_value"],
        [{ ...secretRequest("bot", "X", "v"), tenant_id: "other" }, "body.tenant_id"],
        [{ agent_id: "bot", secret_value: "v" }, "body.secret_name"],
      ];
      for (const [body, field] of cases) {
        const response = await server.call("POST", "/secrets", { body });
        expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(fieldsOf(response.body)).toContain(field);
      }
      const rotate = await server.call("POST", "/secrets/bot/X/rotate", {
        body: { value: "v", grace_seconds: -1 },
      });
      expect(fieldsOf(rotate.body)).toEqual(["body.grace_seconds"]);
      for (const path of [
        "/secrets/a%2Fb/X",
        "/secrets/bot/..%2F..%2Fetc",
        `/secrets/bot/${"n".repeat(129)}`,
      ]) {
        const hostile = await server.call("GET", path);
        expect(hostile.status, path).toBe(400);
        expect(fieldsOf(hostile.body)[0], path).toMatch(/^params\./);
      }
      const version = await server.call("GET", "/secrets/bot/X/versions/zero");
      expect(fieldsOf(version.body)).toEqual(["params.version"]);
      expect(SecretListResponse.parse((await server.call("GET", "/secrets/bot")).body).secrets).not.toContain(
        "X",
      );
    });

    it("keeps emoji, right-to-left and combining text exactly", async () => {
      const value = "🔑 مفتاح e\u0301 \u{1F469}\u200D\u{1F4BB} \t line\nbreak";
      await server.call("POST", "/secrets", { body: secretRequest("bot", "UNICODE", value) });
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/bot/UNICODE")).body).value).toBe(
        value,
      );
    });

    it("gives concurrent writers distinct versions and loses none", async () => {
      const writes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          server.call("POST", "/secrets", { body: secretRequest("bot", "RACE", `value-${i}`) }),
        ),
      );
      expect(writes.every((w) => w.status === 200)).toBe(true);
      const versions = writes.map((w) => SecretResponse.parse(w.body).version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      const current = SecretValueResponse.parse((await server.call("GET", "/secrets/bot/RACE")).body);
      expect(current.version).toBe(12);
      const kept = SecretVersionList.parse((await server.call("GET", "/secrets/bot/RACE/versions")).body);
      expect(kept.versions).toHaveLength(11); // the current one and the ten kept for rollback
    });

    it("needs secrets:read for values; secrets:list or read for names; the right permission for changes", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "PERM", "perm-value") });
      const lister = await insertApiKey(server, { permissions: ["secrets:list"] });
      const reader = await insertApiKey(server, { permissions: ["secrets:read"] });
      const coarse = await insertApiKey(server, { permissions: ["read"] });
      const writer = await insertApiKey(server, { permissions: ["secrets:write"] });

      expect((await server.call("GET", "/secrets/bot", { headers: bearer(lister.key) })).status).toBe(200);
      const denied = await server.call("GET", "/secrets/bot/PERM", { headers: bearer(lister.key) });
      expect(denied.status).toBe(403);
      expect(denied.text).not.toContain("perm-value");
      expect((await server.call("GET", "/secrets/bot/PERM", { headers: bearer(reader.key) })).status).toBe(
        200,
      );
      expect((await server.call("GET", "/secrets/bot", { headers: bearer(reader.key) })).status).toBe(200);
      expect((await server.call("GET", "/secrets/bot", { headers: bearer(coarse.key) })).status).toBe(200);
      expect((await server.call("GET", "/secrets/bot/PERM", { headers: bearer(writer.key) })).status).toBe(
        403,
      );
      expect((await server.call("DELETE", "/secrets/bot/PERM", { headers: bearer(writer.key) })).status).toBe(
        403,
      );
      const configure = await server.call("POST", "/secrets/config", {
        headers: bearer(writer.key),
        body: { backend_type: "encrypted_file", vault_config: null, file_path: null, encryption_key: null },
      });
      expect(configure.status).toBe(403);
      expect((await server.call("GET", "/secrets/bot", { headers: { authorization: "" } })).status).toBe(401);
    });

    it("hides another tenant's secrets: 404 on read and delete, empty list, its own copy on write", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "MINE", "tenant-a-value") });
      const other = await insertApiKey(server, { tenant: "tenant-b", permissions: ["admin"] });
      const headers = bearer(other.key);
      const read = await server.call("GET", "/secrets/bot/MINE", { headers });
      expect(read.status).toBe(404);
      expect(read.text).not.toContain("tenant-a-value");
      expect((await server.call("GET", "/secrets/bot/MINE/versions/1", { headers })).status).toBe(404);
      expect((await server.call("GET", "/secrets/bot/MINE/versions", { headers })).status).toBe(404);
      expect((await server.call("DELETE", "/secrets/bot/MINE", { headers })).status).toBe(404);
      expect(
        (await server.call("POST", "/secrets/bot/MINE/rotate", { headers, body: { value: "x" } })).status,
      ).toBe(404);
      expect((await server.call("GET", "/secrets/bot", { headers })).body).toMatchObject({ secrets: [] });
      await server.call("POST", "/secrets", {
        headers,
        body: secretRequest("bot", "MINE", "tenant-b-value"),
      });
      expect(SecretValueResponse.parse((await server.call("GET", "/secrets/bot/MINE")).body).value).toBe(
        "tenant-a-value",
      );
    });

    it("keeps an agent-limited key to its agents' secrets and away from the tenant's own", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("other-agent", "K", "other-agent-value") });
      await server.call("POST", "/secrets", { body: secretRequest("*", "T", "tenant-only-value") });
      const limited = await insertApiKey(server, { permissions: ["admin"] });
      await server.runtime.store.db
        .updateTable("api_keys")
        .set({ agent_ids: JSON.stringify(["my-agent"]) })
        .where("id", "=", limited.id)
        .execute();
      const headers = bearer(limited.key);
      expect((await server.call("GET", "/secrets/other-agent/K", { headers })).status).toBe(404);
      expect((await server.call("GET", "/secrets/*/T", { headers })).status).toBe(404);
      expect((await server.call("GET", "/secrets/other-agent", { headers })).body).toMatchObject({
        secrets: [],
      });
      const write = await server.call("POST", "/secrets", {
        headers,
        body: secretRequest("other-agent", "K", "x"),
      });
      expect(write.status).toBe(403);
      const own = await server.call("POST", "/secrets", {
        headers,
        body: secretRequest("my-agent", "K", "mine"),
      });
      expect(own.status).toBe(200);
    });

    it("audits every value read (success and failure) and every change, without values", async () => {
      await server.call("POST", "/secrets", { body: secretRequest("bot", "AUD", "audited-value") });
      await server.call("GET", "/secrets/bot/AUD");
      await server.call("GET", "/secrets/bot/NOPE");
      const page = (await server.call("GET", "/audit?limit=500")).body as {
        entries: { action: string; target_id: string | null; status: number; details: unknown }[];
      };
      const reads = page.entries.filter((e) => e.action === "readSecretValue");
      expect(reads.some((e) => e.target_id === "bot/AUD" && e.status === 200)).toBe(true);
      expect(reads.some((e) => e.target_id === "bot/NOPE" && e.status === 404)).toBe(true);
      expect(page.entries.some((e) => e.action === "storeSecret" && e.target_id === "bot/AUD")).toBe(true);
      expect(JSON.stringify(page)).not.toContain("audited-value");
    });

    it("refuses a file path or key over the wire, and an unsupported Vault method, naming the field", async () => {
      const base = {
        backend_type: "encrypted_file",
        vault_config: null,
        file_path: null,
        encryption_key: null,
      };
      const ok = await server.call("POST", "/secrets/config", { body: base });
      expect(ok.body).toEqual({ status: "configured", backend_type: "encrypted_file" });
      const path = await server.call("POST", "/secrets/config", {
        body: { ...base, file_path: "/etc/passwd" },
      });
      expect(fieldsOf(path.body)).toEqual(["body.file_path"]);
      const key = await server.call("POST", "/secrets/config", { body: { ...base, encryption_key: "k" } });
      expect(fieldsOf(key.body)).toEqual(["body.encryption_key"]);
      const vault = await server.call("POST", "/secrets/config", {
        body: { ...base, backend_type: "vault" },
      });
      expect(fieldsOf(vault.body)).toEqual(["body.vault_config"]);
      const aws = await server.call("POST", "/secrets/config", {
        body: {
          ...base,
          backend_type: "vault",
          vault_config: { url: "http://127.0.0.1:1", auth_method: "aws_iam" },
        },
      });
      expect(fieldsOf(aws.body)).toEqual(["body.vault_config.auth_method"]);
    });

    it("answers a clear 400 for the OS keychain on a host without a keychain service", async () => {
      const response = await server.call("POST", "/secrets/config", {
        body: { backend_type: "os_keychain", vault_config: null, file_path: null, encryption_key: null },
      });
      // This suite runs on headless hosts; where a keychain exists the backend is simply configured.
      if (response.status === 200) {
        expect(response.body).toEqual({ status: "configured", backend_type: "os_keychain" });
        await server.call("POST", "/secrets/config", {
          body: { backend_type: "encrypted_file", vault_config: null, file_path: null, encryption_key: null },
        });
        return;
      }
      expect(response.status).toBe(400);
      expect(ErrorBody.parse(response.body).error).toMatch(/keychain/i);
      expect(fieldsOf(response.body)).toEqual(["body.backend_type"]);
    });

    it("counts the tenant's secrets in /metrics", async () => {
      const metrics = (await server.call("GET", "/metrics")).body as { secrets_count: number };
      const count = await server.runtime.store.db
        .selectFrom("secrets")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("tenant_id", "=", "default")
        .executeTakeFirstOrThrow();
      expect(metrics.secrets_count).toBe(Number(count.n));
      expect(metrics.secrets_count).toBeGreaterThan(0);
    });
  });
}
