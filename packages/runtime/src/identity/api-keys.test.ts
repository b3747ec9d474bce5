import { ApiKeyCreatedResponse, ApiKeyInfo, type ErrorBody } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { sampleAgent, type TestRuntime, useTestRuntime } from "../../../../test/support/runtime.js";
import { generateApiKey, hashSecret } from "./api-key-format.js";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const fields = (body: unknown) =>
  ((body as ErrorBody).details as { issues: { field: string }[] }).issues.map((i) => i.field);

async function createKey(server: TestRuntime, body: Record<string, unknown>, asKey?: string) {
  const response = await server.call("POST", "/keys", { body, ...(asKey ? { headers: bearer(asKey) } : {}) });
  return response;
}

async function newKey(server: TestRuntime, body: Record<string, unknown>, asKey?: string): Promise<string> {
  const response = await createKey(server, body, asKey);
  expect(response.status, response.text).toBe(201);
  return ApiKeyCreatedResponse.parse(response.body).key;
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`API key management on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("creates a key shown once, which works at once and is listed without its secret", async () => {
      const response = await createKey(server, {
        name: "ci deploys",
        permissions: ["agents:read", "agents:write"],
      });
      expect(response.status).toBe(201);
      const created = ApiKeyCreatedResponse.parse(response.body);
      expect(created.key).toMatch(new RegExp(`^sym_${created.id}_[A-Za-z0-9_-]{43}$`));
      expect(created).toMatchObject({
        name: "ci deploys",
        agent_ids: null,
        expires_at: null,
        revoked_at: null,
      });

      expect(
        (await server.call("POST", "/agents", { body: sampleAgent("by-key"), headers: bearer(created.key) }))
          .status,
      ).toBe(201);

      const listed = await server.call("GET", "/keys");
      const secret = created.key.slice(created.key.indexOf("_", 4) + 1);
      expect(listed.text).not.toContain(secret);
      const info = ApiKeyInfo.parse(
        (listed.body as { keys: unknown[] }).keys.find((k) => (k as { id: string }).id === created.id),
      );
      expect(info).not.toHaveProperty("key");
      expect(info.prefix).toBe(`sym_${created.id}_…`);
      expect(info.last_used_at).not.toBeNull();

      const row = await server.runtime.store.db
        .selectFrom("api_keys")
        .selectAll()
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      expect(row.secret_hash).toBe(hashSecret(secret));
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it("holds a key to its permissions", async () => {
      const reader = await newKey(server, { name: "reader", permissions: ["agents:read"] });
      expect((await server.call("GET", "/agents", { headers: bearer(reader) })).status).toBe(200);
      expect(
        (await server.call("POST", "/agents", { body: sampleAgent("nope"), headers: bearer(reader) })).status,
      ).toBe(403);
      expect((await server.call("GET", "/keys", { headers: bearer(reader) })).status).toBe(403);
      expect((await createKey(server, { name: "x", permissions: ["agents:read"] }, reader)).status).toBe(403);
    });

    it("never lets a key grant more than it holds", async () => {
      const manager = await newKey(server, { name: "manager", permissions: ["keys:write", "agents:read"] });
      for (const [permissions, field] of [
        [["admin"], "body.permissions.0"],
        [["agents:read", "write"], "body.permissions.1"],
        [["keys:read", "agents:delete"], "body.permissions.0"],
      ] as const) {
        const response = await createKey(server, { name: "escalation", permissions }, manager);
        expect(response.status, JSON.stringify(permissions)).toBe(403);
        expect(fields(response.body)).toEqual([field]);
      }
      expect(
        (await createKey(server, { name: "narrower", permissions: ["agents:read"] }, manager)).status,
      ).toBe(201);
      const coarse = await newKey(server, { name: "coarse reader", permissions: ["read"] });
      expect((await createKey(server, { name: "fine", permissions: ["agents:read"] }, coarse)).status).toBe(
        403,
      );
    });

    it("limits a key to its agents: others are absent, and it cannot widen its reach", async () => {
      for (const id of ["mine", "theirs"]) await server.call("POST", "/agents", { body: sampleAgent(id) });
      const limited = await newKey(server, {
        name: "limited",
        permissions: ["admin"],
        agent_ids: ["mine", "future"],
      });
      const as = { headers: bearer(limited) };
      expect((await server.call("GET", "/agents", as)).body).toEqual(["mine"]);
      expect(
        ((await server.call("GET", "/agent-definitions", as)).body as { items: { id: string }[] }).items.map(
          (a) => a.id,
        ),
      ).toEqual(["mine"]);
      expect((await server.call("GET", "/agents/mine", as)).status).toBe(200);
      for (const [method, path] of [
        ["GET", "/agents/theirs"],
        ["GET", "/agents/theirs/metrics"],
        ["GET", "/agents/theirs/definition"],
        ["DELETE", "/agents/theirs"],
      ] as const) {
        expect((await server.call(method, path, as)).status, `${method} ${path}`).toBe(404);
      }
      expect((await server.call("PATCH", "/agents/theirs", { body: { name: "x" }, ...as })).status).toBe(404);
      expect((await server.call("POST", "/agents", { body: sampleAgent("elsewhere"), ...as })).status).toBe(
        403,
      );
      expect((await server.call("POST", "/agents", { body: sampleAgent("future"), ...as })).status).toBe(201);

      const unlimited = await createKey(server, { name: "wider", permissions: ["agents:read"] }, limited);
      expect(fields(unlimited.body)).toEqual(["body.agent_ids"]);
      const outside = await createKey(
        server,
        { name: "wider", permissions: ["agents:read"], agent_ids: ["theirs"] },
        limited,
      );
      expect(outside.status).toBe(403);
      expect(
        (
          await createKey(
            server,
            { name: "narrower", permissions: ["agents:read"], agent_ids: ["mine"] },
            limited,
          )
        ).status,
      ).toBe(201);
    });

    it("stops a revoked key on its next request; revoking again is harmless", async () => {
      const response = await createKey(server, { name: "short-lived", permissions: ["read"] });
      const { id, key } = ApiKeyCreatedResponse.parse(response.body);
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(200);
      expect((await server.call("DELETE", `/keys/${id}`)).body).toEqual({ revoked: true, id });
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(401);
      expect((await server.call("DELETE", `/keys/${id}`)).status).toBe(200);
      expect(ApiKeyInfo.parse((await server.call("GET", `/keys/${id}`)).body).revoked_at).not.toBeNull();
      expect((await server.call("DELETE", "/keys/nosuchkey")).status).toBe(404);
    });

    it("lets a key expire, answering 'expired' afterwards; a past expiry is refused", async () => {
      const past = await createKey(server, {
        name: "late",
        permissions: ["read"],
        expires_at: "2020-01-01T00:00:00Z",
      });
      expect(past.status).toBe(400);
      expect(fields(past.body)).toEqual(["body.expires_at"]);
      const soon = new Date(Date.now() + 1_500).toISOString();
      const key = await newKey(server, { name: "soon", permissions: ["read"], expires_at: soon });
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      const expired = await server.call("GET", "/agents", { headers: bearer(key) });
      expect(expired.status).toBe(401);
      expect(expired.text).toContain("expired");
    });

    it("keeps keys inside their tenant: another tenant's key is not found", async () => {
      const { id, secret, key } = generateApiKey();
      const db = server.runtime.store.db;
      await db
        .insertInto("tenants")
        .values({ id: "tenant-k", name: "k", created_at: new Date().toISOString() })
        .execute();
      await db
        .insertInto("api_keys")
        .values({
          id,
          tenant_id: "tenant-k",
          principal_id: "p",
          name: "other tenant admin",
          secret_hash: hashSecret(secret),
          permissions: '["admin"]',
          created_at: new Date().toISOString(),
          expires_at: null,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
      expect((await server.call("GET", `/keys/${id}`)).status).toBe(404);
      expect((await server.call("DELETE", `/keys/${id}`)).status).toBe(404);
      expect(
        ((await server.call("GET", "/keys")).body as { keys: { id: string }[] }).keys.map((k) => k.id),
      ).not.toContain(id);
      const theirList = (await server.call("GET", "/keys", { headers: bearer(key) })).body as {
        keys: { id: string }[];
      };
      expect(theirList.keys.map((k) => k.id)).toEqual([id]);
      expect((await server.call("GET", "/agents", { headers: bearer(key) })).body).toEqual([]);
    });

    it("rejects malformed requests naming the field", async () => {
      for (const [body, field] of [
        [{ name: "x", permissions: ["superuser"] }, "body.permissions.0"],
        [{ name: "x", permissions: [] }, "body.permissions"],
        [{ name: "x", permissions: ["read", "read"] }, "body.permissions"],
        [{ name: "line\nbreak", permissions: ["read"] }, "body.name"],
        [{ name: "x", permissions: ["read"], agent_ids: [] }, "body.agent_ids"],
        [{ name: "x", permissions: ["read"], agent_ids: ["../x"] }, "body.agent_ids.0"],
        [{ name: "x", permissions: ["read"], expires_at: "tomorrow" }, "body.expires_at"],
        [{ name: "x", permissions: ["read"], owner: "me" }, "body.owner"],
        [{ permissions: ["read"] }, "body.name"],
      ] as const) {
        const response = await createKey(server, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(fields(response.body), JSON.stringify(body)).toEqual([field]);
      }
    });
  });
}
