import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { generateApiKey, hashSecret } from "../identity/api-key-format.js";
import { serializeFrozen } from "../server/serialized-json.js";
import { OTHER_CONNECTION_STALENESS_MS } from "./change-version.js";

/**
 * Reads are served from memory between writes; these prove no write, from anywhere, is missed:
 * this process's at once, another connection's within OTHER_CONNECTION_STALENESS_MS.
 */
const afterOtherConnectionsBound = () =>
  new Promise((resolve) => setTimeout(resolve, OTHER_CONNECTION_STALENESS_MS + 1));

describe("read caches on SQLite", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let other: BetterSqlite3.Database;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database);
    // Another process's connection to the same file, as a second runtime or an admin's sqlite3 shell.
    other = new BetterSqlite3(join(database.dataDir, "symbiont.db"));
  });
  afterAll(async () => {
    other?.close();
    await server?.close();
    await database?.dispose();
  });

  const ids = async () => (await server.call("GET", "/agents")).body as string[];

  it("shows this process's create and delete on the very next list", async () => {
    expect(await ids()).toEqual([]);
    await server.call("POST", "/agents", { body: sampleAgent("one") });
    expect(await ids()).toEqual(["one"]);
    await server.call("DELETE", "/agents/one");
    expect(await ids()).toEqual([]);
  });

  it("shows a row written by another connection on the first list a millisecond later", async () => {
    expect(await ids()).toEqual([]);
    const now = new Date().toISOString();
    other
      .prepare(
        "insert into agents (tenant_id, id, name, description, system_prompt, tools, model, temperature, top_p, max_tokens, state, created_at, updated_at, last_activity_at) values ('default', 'from-elsewhere', 'n', '', '', '[]', 'm', 0.5, 1, 10, 'idle', ?, ?, ?)",
      )
      .run(now, now, now);
    await afterOtherConnectionsBound();
    expect(await ids()).toEqual(["from-elsewhere"]);
  });

  it("refuses a key on the first request a millisecond after another connection revokes it", async () => {
    const { id, secret, key } = generateApiKey();
    other
      .prepare(
        "insert into api_keys (id, tenant_id, principal_id, name, secret_hash, permissions, created_at) values (?, 'default', 'p', 'k', ?, '[\"admin\"]', ?)",
      )
      .run(id, hashSecret(secret), new Date().toISOString());
    const headers = { authorization: `Bearer ${key}` };
    expect((await server.call("GET", "/agents", { headers })).status).toBe(200);
    expect((await server.call("GET", "/agents", { headers })).status).toBe(200);
    other.prepare("update api_keys set revoked_at = ? where id = ?").run(new Date().toISOString(), id);
    await afterOtherConnectionsBound();
    expect((await server.call("GET", "/agents", { headers })).status).toBe(401);
  });

  it("refuses a key on the first request after this process's database revokes it", async () => {
    const { id, key } = await insertApiKey(server, { permissions: ["read"] });
    const db = server.runtime.store.db;
    const headers = { authorization: `Bearer ${key}` };
    expect((await server.call("GET", "/agents", { headers })).status).toBe(200);
    await db
      .updateTable("api_keys")
      .set({ revoked_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
    expect((await server.call("GET", "/agents", { headers })).status).toBe(401);
  });

  it("serialises only frozen values, once each", () => {
    const frozen = Object.freeze(["a"]);
    expect(serializeFrozen(frozen)).toBe(serializeFrozen(frozen));
    expect(serializeFrozen(frozen).text).toBe('["a"]');
    expect(() => serializeFrozen(["mutable"])).toThrow(/frozen/);
  });
});
