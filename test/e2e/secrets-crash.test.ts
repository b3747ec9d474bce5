import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../support/cli-process.js";
import { tempDir } from "../support/databases.js";

const KEY = "crash-test-key-0123456789abcdef";
const running: CliProcess[] = [];
function up(dataDir: string, env: NodeJS.ProcessEnv = {}): CliProcess {
  const cli = spawnCli(["up", "--port", "0", "--json", "--data-dir", dataDir, "--log-level", "warn"], {
    env: { SYMBIONT_API_KEY: KEY, ...env },
  });
  running.push(cli);
  return cli;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop("SIGKILL")));
});

const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
async function store(api: string, value: string): Promise<number> {
  const response = await fetch(`${api}/secrets`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      agent_id: "crash",
      secret_name: "DB_PASSWORD",
      secret_value: value,
      description: null,
    }),
  });
  if (response.status !== 200) throw new Error(`store answered ${response.status}`);
  return ((await response.json()) as { version: number }).version;
}
async function read(api: string, path = "") {
  const response = await fetch(`${api}/secrets/crash/DB_PASSWORD${path}`, { headers });
  return { status: response.status, body: (await response.json()) as { value: string; version: number } };
}

describe("secrets survive a crash of the runtime", () => {
  it("a process killed in the middle of writes leaves the last acknowledged value (or a newer one) readable", async () => {
    const dataDir = tempDir();
    const sent = new Set<string>();
    let acknowledged = { version: 0, value: "" };
    for (let round = 0; round < 3; round++) {
      const cli = up(dataDir);
      const { api_url: api } = await cli.ready;
      if (round > 0) {
        const current = await read(api);
        expect(current.status).toBe(200);
        expect(sent.has(current.body.value)).toBe(true);
        expect(current.body.version).toBeGreaterThanOrEqual(acknowledged.version);
      }
      // Four writers of large values, killed after a short random delay: some writes are in flight.
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const value = `round${round}-writer${w}-${i}-${"x".repeat(60_000)}`;
          sent.add(value);
          try {
            const version = await store(api, value);
            if (version > acknowledged.version) acknowledged = { version, value };
          } catch {
            return;
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      expect(acknowledged.version).toBeGreaterThan(0);
      await cli.stop("SIGKILL");
      stop = true;
      await Promise.all(writers);
    }
    const cli = up(dataDir);
    const { api_url: api } = await cli.ready;
    const current = await read(api);
    expect(current.status).toBe(200);
    expect(sent.has(current.body.value)).toBe(true);
    expect(current.body.version).toBeGreaterThanOrEqual(acknowledged.version);
    // Every version kept for rollback still decrypts: nothing was half written.
    const versions = (await (
      await fetch(`${api}/secrets/crash/DB_PASSWORD/versions`, { headers })
    ).json()) as {
      versions: { version: number }[];
    };
    for (const { version } of versions.versions) {
      const old = await read(api, `/versions/${version}`);
      expect(old.status).toBe(200);
      expect(sent.has(old.body.value)).toBe(true);
    }
  }, 90_000);

  it("creates the master key file with mode 0600 and refuses to start with another key", async () => {
    const dataDir = tempDir();
    const first = up(dataDir);
    const { api_url: api } = await first.ready;
    await store(api, "kept-under-the-first-key");
    await first.stop();
    const keyFile = join(dataDir, "master.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const wrong = up(dataDir, { SYMBIONT_MASTER_KEY: "a".repeat(64) });
    await expect(wrong.ready).rejects.toThrow(/key check failed/);
    expect(wrong.stderr() + wrong.stdout()).not.toContain("a".repeat(64));

    writeFileSync(keyFile, "not a key\n", { mode: 0o600 });
    const damaged = up(dataDir);
    await expect(damaged.ready).rejects.toThrow(/is damaged/);
  }, 60_000);

  it("derives the key from a passphrase with scrypt and starts again only with the same passphrase", async () => {
    const dataDir = tempDir();
    const passphrase = "correct horse battery staple";
    const first = up(dataDir, { SYMBIONT_MASTER_KEY: passphrase });
    const { api_url: api } = await first.ready;
    await store(api, "kept-under-a-passphrase");
    await first.stop();

    const again = up(dataDir, { SYMBIONT_MASTER_KEY: passphrase });
    const second = await again.ready;
    expect((await read(second.api_url)).body.value).toBe("kept-under-a-passphrase");
    await again.stop();

    const wrong = up(dataDir, { SYMBIONT_MASTER_KEY: "incorrect horse battery staple" });
    await expect(wrong.ready).rejects.toThrow(/key check failed/);
    expect(wrong.stderr() + wrong.stdout()).not.toContain("incorrect horse");
  }, 60_000);
});
