import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SecretValueResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import {
  type SecretServiceBus,
  secretServiceAvailable,
  startSecretService,
} from "../../../../test/support/secret-service.js";

const VALUE = "keychain-held-value-π-🔑";
const ROTATED = "keychain-rotated-value";

/** Every byte under a directory, for proving a value never reached the data dir. */
function bytesUnder(dir: string): string {
  let all = "";
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    all += statSync(path).isDirectory() ? bytesUnder(path) : readFileSync(path).toString("latin1");
  }
  return all;
}

if (process.env.CI && !secretServiceAvailable)
  throw new Error("CI must test the OS keychain for real: install gnome-keyring (see .ci/run)");

describe.skipIf(!secretServiceAvailable)("OS keychain backend against GNOME Keyring's Secret Service", () => {
  let keyring: SecretServiceBus;
  let database: FreshDatabase;
  let server: TestRuntime;
  const previousBus = process.env.DBUS_SESSION_BUS_ADDRESS;
  const value = async (path: string) => {
    const response = await server.call("GET", path);
    expect(response.status, response.text).toBe(200);
    return SecretValueResponse.parse(response.body).value;
  };

  beforeAll(async () => {
    keyring = await startSecretService();
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await keyring?.close();
    if (previousBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = previousBus;
  });

  it("stores, reads, rotates and deletes values in the keychain, never in the data dir", async () => {
    const configured = await server.call("POST", "/secrets/config", {
      body: { backend_type: "os_keychain", vault_config: null, file_path: null, encryption_key: null },
    });
    expect(configured.body, configured.text).toEqual({ status: "configured", backend_type: "os_keychain" });
    const stored = await server.call("POST", "/secrets", {
      body: { agent_id: "keyed", secret_name: "TOKEN", secret_value: VALUE, description: null },
    });
    expect(stored.status, stored.text).toBeLessThan(300);
    expect(await value("/secrets/keyed/TOKEN")).toBe(VALUE);

    const rotated = await server.call("POST", "/secrets/keyed/TOKEN/rotate", {
      body: { value: ROTATED, grace_seconds: 300 },
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(await value("/secrets/keyed/TOKEN")).toBe(ROTATED);
    // The previous version stays readable for its grace period.
    expect(await value("/secrets/keyed/TOKEN/versions/1")).toBe(VALUE);

    const onDisk = bytesUnder(database.dataDir);
    for (const secret of [VALUE, ROTATED, Buffer.from(VALUE).toString("latin1")])
      expect(onDisk).not.toContain(secret);

    expect((await server.call("DELETE", "/secrets/keyed/TOKEN")).status).toBe(200);
    expect((await server.call("GET", "/secrets/keyed/TOKEN")).status).toBe(404);
  });

  it("keeps values across a restart of the runtime: they live in the keychain", async () => {
    await server.call("POST", "/secrets", {
      body: { agent_id: "keyed", secret_name: "KEPT", secret_value: VALUE, description: null },
    });
    await server.close();
    server = await startTestRuntime(database);
    expect(await value("/secrets/keyed/KEPT")).toBe(VALUE);
  });

  it("turns a keychain that went away into a clear error, not a 500 or a leak", async () => {
    await keyring.close();
    const read = await server.call("GET", "/secrets/keyed/KEPT");
    expect(read.status).toBeGreaterThanOrEqual(500);
    expect(read.status).not.toBe(500);
    expect(read.text).toMatch(/keychain/i);
    expect(read.text).not.toContain(VALUE);
  });
});
