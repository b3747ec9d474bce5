import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { loadConfig } from "../config/load.js";
import { startRuntime } from "../runtime.js";
import { openStore } from "./database.js";
import { MIGRATION_NAMES, migrateToLatest } from "./migrate.js";

const configFor = (database: FreshDatabase) =>
  loadConfig({
    env: {},
    flags: { port: 0, logLevel: "silent", dataDir: database.dataDir, databaseUrl: database.databaseUrl },
  });

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`start-up on ${target.name}`, () => {
    let database: FreshDatabase;
    beforeAll(async () => {
      database = await target.create();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it("migrates idempotently: a second run applies nothing", async () => {
      const fresh = await target.create();
      const store = await openStore({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
      try {
        const applied = await migrateToLatest(store.db, store.dialect);
        expect(applied).toEqual(MIGRATION_NAMES);
        expect(applied.slice(0, 6)).toEqual([
          "0001_initial",
          "0002_api_key_scopes",
          "0003_audit_log",
          "0004_users_and_sessions",
          "0005_secrets",
          "0006_memory_knowledge_vectors",
        ]);
        expect(applied).toContain("0011_http_inputs_and_endpoints");
        expect(applied).toContain("0013_memory_encryption");
        expect(applied).toContain("0012_schedules");
        expect(applied).toContain("0012b_review_judge");
        expect(applied).toContain("0010_deployments");
        expect(applied).toContain("0009_workflows");
        expect(await migrateToLatest(store.db, store.dialect)).toEqual([]);
      } finally {
        await store.close();
        await fresh.dispose();
      }
    });

    it("lets two runtimes start at once on an empty database: both serve, one admin key is minted", async () => {
      const [first, second] = await Promise.all([
        startRuntime(configFor(database)),
        startRuntime(configFor(database)),
      ]);
      try {
        const keys = [first.firstAdminKey, second.firstAdminKey].filter((key) => key !== undefined);
        expect(keys).toHaveLength(1);
        const key = keys[0] as string;
        expect(key).toMatch(/^sym_admin_[A-Za-z0-9_-]{43}$/);
        // The key minted by one node works on the other: they share one database.
        for (const node of [first, second]) {
          const response = await fetch(`${node.apiUrl}/agents`, {
            headers: { authorization: `Bearer ${key}` },
          });
          expect(response.status).toBe(200);
        }
        const rows = await first.store.db.selectFrom("api_keys").select(["id", "secret_hash"]).execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it("does not mint another admin key on a later start", async () => {
      const again = await startRuntime(configFor(database));
      try {
        expect(again.firstAdminKey).toBeUndefined();
      } finally {
        await again.close();
      }
    });

    it("mints no key when SYMBIONT_API_KEY is given, and accepts that key", async () => {
      const fresh = await target.create();
      const config = loadConfig({
        env: { SYMBIONT_API_KEY: "env-key-that-is-long-enough" },
        flags: { port: 0, logLevel: "silent", dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl },
      });
      const runtime = await startRuntime(config);
      try {
        expect(runtime.firstAdminKey).toBeUndefined();
        const response = await fetch(`${runtime.apiUrl}/agents`, {
          headers: { authorization: "Bearer env-key-that-is-long-enough" },
        });
        expect(response.status).toBe(200);
      } finally {
        await runtime.close();
        await fresh.dispose();
      }
    });
  });
}
