import { type AuditEntry, AuditPage, AuditVerification } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { sampleAgent, type TestRuntime, useTestRuntime } from "../../../../test/support/runtime.js";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function entries(
  server: TestRuntime,
  query = "",
  headers?: Record<string, string>,
): Promise<AuditEntry[]> {
  const response = await server.call("GET", `/audit${query}`, headers ? { headers } : {});
  expect(response.status, response.text).toBe(200);
  return AuditPage.parse(response.body).entries;
}

async function verify(server: TestRuntime) {
  return AuditVerification.parse((await server.call("GET", "/audit/verify")).body);
}

function insertKey(server: TestRuntime, tenant: string, permissions: string[], revoked = false) {
  return insertApiKey(server, { tenant, permissions, revokedAt: revoked ? new Date().toISOString() : null });
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the audit log on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("records each mutating call with actor, action, target, outcome, request id and source", async () => {
      await server.call("POST", "/agents", {
        body: sampleAgent("audited"),
        headers: { "x-request-id": "req-create-1" },
      });
      await server.call("PATCH", "/agents/audited", { body: { model: "m2" } });
      await server.call("DELETE", "/agents/audited");
      const [deleted, updated, created] = await entries(server, "?limit=3");
      expect(created).toMatchObject({
        action: "createAgent",
        target_type: "agent",
        target_id: "audited",
        outcome: "success",
        status: 201,
        request_id: "req-create-1",
        actor_id: "environment-key",
        actor_kind: "environment_key",
        source_ip: "127.0.0.1",
      });
      expect(updated).toMatchObject({ action: "updateAgent", target_id: "audited", status: 200 });
      expect(deleted).toMatchObject({ action: "deleteAgent", target_id: "audited", status: 200 });
      expect(deleted!.seq).toBe(created!.seq + 2);
      expect(deleted!.prev_hash).toBe(updated!.hash);
    });

    it("records failed and denied calls, but not successful reads", async () => {
      const before = (await entries(server, "?limit=1"))[0]?.seq ?? 0;
      await server.call("GET", "/agents");
      await server.call("POST", "/agents", { body: sampleAgent("twice") });
      await server.call("POST", "/agents", { body: sampleAgent("twice") });
      await server.call("POST", "/agents", { body: sampleAgent("bad", { temperature: 7 }) });
      const reader = await insertKey(server, "default", ["agents:read"]);
      await server.call("POST", "/agents", { body: sampleAgent("sneaky"), headers: bearer(reader.key) });
      await server.call("GET", "/metrics", { headers: bearer(reader.key) });
      const recent = (await entries(server, "?limit=20")).filter((e) => e.seq > before).reverse();
      expect(recent.map((e) => [e.action, e.outcome, e.status])).toEqual([
        ["createAgent", "success", 201],
        ["createAgent", "failed", 409],
        ["createAgent", "failed", 400],
        ["createAgent", "denied", 403],
        ["systemMetrics", "denied", 403],
      ]);
      expect(recent[1]!.details).toEqual({ code: "CONFLICT" });
      expect(recent[3]).toMatchObject({ actor_id: `key:${reader.id}`, target_id: "sneaky" });
    });

    it("records attempts with a real key that is revoked or has the wrong secret, in that key's tenant", async () => {
      const revoked = await insertKey(server, "tenant-audit", ["admin"], true);
      const live = await insertKey(server, "tenant-audit", ["admin"]);
      expect((await server.call("GET", "/agents", { headers: bearer(revoked.key) })).status).toBe(401);
      const forged = `sym_${live.id}_${"A".repeat(43)}`;
      expect((await server.call("GET", "/agents", { headers: bearer(forged) })).status).toBe(401);
      expect(
        (await server.call("GET", "/agents", { headers: bearer("sym_nosuchkey_AAAAAAAAAAAAAAAAAAAAAAAA") }))
          .status,
      ).toBe(401);
      const theirs = await entries(server, "", bearer(live.key));
      expect(theirs.map((e) => [e.actor_id, e.outcome, e.status, e.details.code])).toEqual([
        [`key:${live.id}`, "denied", 401, "UNAUTHENTICATED"],
        [`key:${revoked.id}`, "denied", 401, "UNAUTHENTICATED"],
      ]);
      expect((await entries(server)).some((e) => e.actor_id.includes(live.id))).toBe(false);
    });

    it("filters and pages, newest first", async () => {
      const page = AuditPage.parse((await server.call("GET", "/audit?limit=2")).body);
      expect(page.entries).toHaveLength(2);
      expect(page.entries[0]!.seq).toBeGreaterThan(page.entries[1]!.seq);
      const older = AuditPage.parse(
        (await server.call("GET", `/audit?limit=2&before=${page.next_before}`)).body,
      );
      expect(older.entries[0]!.seq).toBe(page.entries[1]!.seq - 1);
      expect((await entries(server, "?outcome=denied")).every((e) => e.outcome === "denied")).toBe(true);
      expect((await entries(server, "?action=deleteAgent")).map((e) => e.target_id)).toEqual(["audited"]);
      expect((await server.call("GET", "/audit?outcome=maybe")).status).toBe(400);
    });

    it("needs audit:read", async () => {
      const agentsOnly = await insertKey(server, "default", ["agents:read", "agents:write"]);
      expect((await server.call("GET", "/audit", { headers: bearer(agentsOnly.key) })).status).toBe(403);
      const auditor = await insertKey(server, "default", ["audit:read"]);
      expect((await server.call("GET", "/audit/verify", { headers: bearer(auditor.key) })).status).toBe(200);
    });

    it("keeps the chain whole under concurrent writes", async () => {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          server.call("POST", "/agents", { body: sampleAgent(`burst-${i}`) }),
        ),
      );
      const result = await verify(server);
      expect(result).toMatchObject({ ok: true, first_broken: null });
      const all = await entries(server, "?limit=500");
      expect(result.checked).toBe(all.length);
      const seqs = all.map((e) => e.seq).reverse();
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    });
  });

  describe.skipIf(!target.available)(`audit tampering is detected on ${target.name}`, () => {
    const server = useTestRuntime(target);
    const rows = () =>
      server.runtime.store.db
        .selectFrom("audit_log")
        .select(["seq", "id"])
        .where("tenant_id", "=", "default")
        .orderBy("seq")
        .execute();

    it("names the first altered entry", async () => {
      for (let i = 0; i < 5; i++) await server.call("POST", "/agents", { body: sampleAgent(`t-${i}`) });
      expect((await verify(server)).ok).toBe(true);
      const third = (await rows())[2]!;
      await server.runtime.store.db
        .updateTable("audit_log")
        .set({ actor_name: "someone else" })
        .where("id", "=", third.id)
        .execute();
      expect(await verify(server)).toEqual({
        ok: false,
        checked: 2,
        first_broken: { seq: 3, id: third.id, reason: "entry 3 was altered after it was written" },
      });
    });

    it("names a removed entry, and entries removed from the end", async () => {
      const db = server.runtime.store.db;
      await db.deleteFrom("audit_log").where("tenant_id", "=", "default").where("seq", "=", 3).execute();
      expect((await verify(server)).first_broken).toEqual({
        seq: 3,
        id: null,
        reason: "entry 3 is missing (the next one is 4)",
      });
      await db.deleteFrom("audit_log").where("tenant_id", "=", "default").where("seq", ">=", 3).execute();
      expect((await verify(server)).first_broken).toEqual({
        seq: 3,
        id: null,
        reason: "entries 3 to 5 were removed from the end",
      });
    });
  });
}
