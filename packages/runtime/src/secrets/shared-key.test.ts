import { SecretValueResponse } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets, tempDir } from "../../../../test/support/databases.js";
import { startTestRuntime } from "../../../../test/support/runtime.js";

const body = {
  agent_id: "*",
  secret_name: "SHARED",
  secret_value: "shared-between-nodes",
  description: null,
};

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the master key across nodes (${target.name})`, () => {
    it("lets two nodes with the same passphrase start at once on an empty database and read each other's secrets", async () => {
      const database = await target.create();
      const masterKey = "one passphrase for every node";
      const [a, b] = await Promise.all([
        startTestRuntime(database, { masterKey }),
        startTestRuntime(database, { masterKey }),
      ]);
      try {
        expect((await a.call("POST", "/secrets", { body })).status).toBe(200);
        const read = await b.call("GET", "/secrets/*/SHARED");
        expect(SecretValueResponse.parse(read.body).value).toBe("shared-between-nodes");
      } finally {
        await a.close();
        await b.close();
        await database.dispose();
      }
    });
  });
}

const postgres = databaseTargets.find((t) => t.name === "postgres");

// Only Postgres is shared by several nodes; a SQLite file belongs to one data directory.
describe.skipIf(!postgres?.available)("nodes sharing a Postgres database", () => {
  it("stops a node that lacks the key file or has another key than the database was set up with", async () => {
    const database = await (postgres as (typeof databaseTargets)[number]).create();
    const first = await startTestRuntime(database);
    try {
      await expect(startTestRuntime({ ...database, dataDir: tempDir() })).rejects.toThrow(
        /is missing, but this database holds secrets/,
      );
      await expect(
        startTestRuntime({ ...database, dataDir: tempDir() }, { masterKey: "f".repeat(64) }),
      ).rejects.toThrow(/key check failed/);
    } finally {
      await first.close();
      await database.dispose();
    }
  });
});
