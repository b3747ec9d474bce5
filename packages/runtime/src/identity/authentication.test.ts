import { ErrorBody } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey, type KeySpec } from "../../../../test/support/keys.js";
import { sampleAgent, type TestRuntime, useTestRuntime } from "../../../../test/support/runtime.js";

async function insertKey(server: TestRuntime, spec: KeySpec): Promise<string> {
  return (await insertApiKey(server, spec)).key;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`authentication and tenant scoping on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("serves health without a credential and everything else only with one", async () => {
      expect((await server.call("GET", "/health", { headers: { authorization: "" } })).status).toBe(200);
      for (const [method, path] of [
        ["GET", "/agents"],
        ["POST", "/agents"],
        ["GET", "/agents/x"],
        ["GET", "/agents/x/metrics"],
        ["GET", "/metrics"],
        ["POST", "/admin/config/reload"],
        ["GET", "/agent-definitions"],
        ["PATCH", "/agents/x"],
        ["DELETE", "/agents/x"],
      ]) {
        const response = await server.call(method as string, path as string, {
          headers: { authorization: "" },
        });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(ErrorBody.parse(response.body).code).toBe("UNAUTHENTICATED");
      }
    });

    it("answers 401 without the word 'expired' to missing, malformed, unknown and forged credentials", async () => {
      const real = await insertKey(server, { permissions: ["admin"] });
      const forged = `${real.slice(0, -4)}AAAA`;
      for (const authorization of [
        "",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer sym_nope_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        `Bearer ${forged}`,
        "Bearer test-key-0123456789abcdeX",
        `Bearer ${"a".repeat(5000)}`,
        "Bearer ' OR 1=1 --",
      ]) {
        const response = await server.call("GET", "/agents", { headers: { authorization } });
        expect(response.status, authorization.slice(0, 40)).toBe(401);
        expect(response.text.toLowerCase()).not.toContain("expired");
        expect(response.headers.get("www-authenticate")).toContain("Bearer");
      }
    });

    it("answers 401 containing 'expired' to an expired key, and refuses a revoked key", async () => {
      const expired = await insertKey(server, {
        permissions: ["admin"],
        expiresAt: "2020-01-01T00:00:00.000Z",
      });
      const response = await server.call("GET", "/agents", { headers: bearer(expired) });
      expect(response.status).toBe(401);
      expect(response.text.toLowerCase()).toContain("expired");
      expect(ErrorBody.parse(response.body).code).toBe("TOKEN_EXPIRED");

      const revoked = await insertKey(server, {
        permissions: ["admin"],
        revokedAt: new Date().toISOString(),
      });
      const refused = await server.call("GET", "/agents", { headers: bearer(revoked) });
      expect(refused.status).toBe(401);
      expect(refused.text.toLowerCase()).not.toContain("expired");
    });

    it("lets a read-only key read but answers 403 naming the permission to writes and deletes", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("guarded") });
      const reader = await insertKey(server, { permissions: ["read"] });
      expect((await server.call("GET", "/agents", { headers: bearer(reader) })).status).toBe(200);
      expect((await server.call("GET", "/agents/guarded", { headers: bearer(reader) })).status).toBe(200);

      const create = await server.call("POST", "/agents", {
        body: sampleAgent("sneaky"),
        headers: bearer(reader),
      });
      expect(create.status).toBe(403);
      expect(ErrorBody.parse(create.body).details).toEqual({ required_permission: "agents:write" });
      const remove = await server.call("DELETE", "/agents/guarded", { headers: bearer(reader) });
      expect(remove.status).toBe(403);
      const reload = await server.call("POST", "/admin/config/reload", { headers: bearer(reader) });
      expect(reload.status).toBe(403);
      expect((await server.call("GET", "/agents/guarded")).status).toBe(200);
      expect((await server.call("GET", "/agents/sneaky")).status).toBe(404);
    });

    it("honours fine-grained grants: agents:read alone cannot read system metrics", async () => {
      const agentsOnly = await insertKey(server, { permissions: ["agents:read"] });
      expect((await server.call("GET", "/agents", { headers: bearer(agentsOnly) })).status).toBe(200);
      expect((await server.call("GET", "/metrics", { headers: bearer(agentsOnly) })).status).toBe(403);
    });

    it("hides another tenant's agents: 404 by id, absent from lists, and the same id is free to reuse", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("tenant-a-secret") });
      const other = await insertKey(server, { tenant: "tenant-b", permissions: ["admin"] });
      const asOther = { headers: bearer(other) };

      expect((await server.call("GET", "/agents", asOther)).body).toEqual([]);
      for (const path of [
        "/agents/tenant-a-secret",
        "/agents/tenant-a-secret/metrics",
        "/agents/tenant-a-secret/definition",
      ]) {
        expect((await server.call("GET", path, asOther)).status, path).toBe(404);
      }
      expect(
        (await server.call("PATCH", "/agents/tenant-a-secret", { body: { name: "pwned" }, ...asOther }))
          .status,
      ).toBe(404);
      expect((await server.call("DELETE", "/agents/tenant-a-secret", asOther)).status).toBe(404);
      expect(
        ((await server.call("GET", "/agent-definitions", asOther)).body as { items: unknown[] }).items,
      ).toEqual([]);
      expect(
        ((await server.call("GET", "/metrics", asOther)).body as { total_agents: number }).total_agents,
      ).toBe(0);

      const sameId = await server.call("POST", "/agents", {
        body: sampleAgent("tenant-a-secret", { name: "mine" }),
        ...asOther,
      });
      expect(sameId.status).toBe(201);
      const original = (await server.call("GET", "/agents/tenant-a-secret/definition")).body as {
        name: string;
      };
      expect(original.name).toBe("Agent tenant-a-secret");
    });

    it("stores only a hash of each key and records when it was last used", async () => {
      const key = await insertKey(server, { permissions: ["read"] });
      const id = key.slice(4, key.indexOf("_", 4));
      await server.call("GET", "/agents", { headers: bearer(key) });
      const row = await server.runtime.store.db
        .selectFrom("api_keys")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.secret_hash).not.toContain(key.slice(key.indexOf("_", 4) + 1));
      expect(row.last_used_at).not.toBeNull();
    });
  });
}
