import { existsSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../support/cli-process.js";
import { tempDir } from "../support/databases.js";
import { sampleAgent } from "../support/runtime.js";

const running: CliProcess[] = [];
function up(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const cli = spawnCli(["up", "--port", "0", "--json", ...args], options);
  running.push(cli);
  return cli;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop("SIGKILL")));
});

describe("symbiont up", () => {
  it("prints the API and docs URLs and, on the first start only, an admin key that works", async () => {
    const dataDir = tempDir();
    const first = up(["--data-dir", dataDir]);
    const ready = await first.ready;
    expect(ready.api_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(ready.docs_url).toBe(`${ready.api_url}/docs`);
    expect(ready.admin_key).toMatch(/^sym_admin_/);
    const list = await fetch(`${ready.api_url}/agents`, {
      headers: { authorization: `Bearer ${ready.admin_key}` },
    });
    expect(list.status).toBe(200);
    expect((await first.stop()).code).toBe(0);

    const second = up(["--data-dir", dataDir]);
    const again = await second.ready;
    expect(again.admin_key).toBeNull();
    const stillWorks = await fetch(`${again.api_url}/agents`, {
      headers: { authorization: `Bearer ${ready.admin_key}` },
    });
    expect(stillWorks.status).toBe(200);
  });

  it("prints a human banner with the key and how to use it", async () => {
    const dataDir = tempDir();
    const cli = spawnCli(["up", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"]);
    running.push(cli);
    await expect.poll(() => cli.stdout(), { timeout: 10_000 }).toContain("Press Ctrl+C to stop.");
    expect(cli.stdout()).toMatch(/API {4}http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    expect(cli.stdout()).toMatch(/export SYMBIONT_API_KEY=sym_admin_/);
  });

  it("stops on SIGTERM with exit code 0, letting requests in flight finish, and closes the database cleanly", async () => {
    const dataDir = tempDir();
    const cli = up(["--data-dir", dataDir], { env: { SYMBIONT_API_KEY: "e2e-key-0123456789abcdef" } });
    const { api_url } = await cli.ready;
    const headers = { authorization: "Bearer e2e-key-0123456789abcdef", "content-type": "application/json" };
    const inFlight = Array.from({ length: 30 }, (_, i) =>
      fetch(`${api_url}/agents`, {
        method: "POST",
        headers,
        body: JSON.stringify(sampleAgent(`term-${i}`)),
      }).then(
        (r) => r.status,
        () => "refused",
      ),
    );
    const stopped = cli.stop("SIGTERM");
    const statuses = await Promise.all(inFlight);
    expect((await stopped).code).toBe(0);
    expect(statuses.every((s) => s === 201 || s === 503 || s === "refused")).toBe(true);
    // A clean close checkpoints the write-ahead log into the database and removes it.
    expect(existsSync(join(dataDir, "symbiont.db-wal"))).toBe(false);
    const db = new BetterSqlite3(join(dataDir, "symbiont.db"), { readonly: true });
    const stored = db.prepare("select count(*) as n from agents").get() as { n: number };
    db.close();
    expect(stored.n).toBe(statuses.filter((s) => s === 201).length);
  });

  it("finishes a request that is in flight when SIGTERM arrives", async () => {
    const cli = up(["--data-dir", tempDir(), "--log-level", "silent"], {
      env: { SYMBIONT_API_KEY: "e2e-key-0123456789abcdef" },
    });
    const { api_url } = await cli.ready;
    const body = JSON.stringify(sampleAgent("in-flight"));
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${api_url}/agents`,
        {
          method: "POST",
          headers: {
            authorization: "Bearer e2e-key-0123456789abcdef",
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body)),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => {
            text += chunk.toString("utf8");
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      // Half the body now, the signal, then the rest: the request is mid-flight when shutdown starts.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        cli.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    const response = await answer;
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toMatchObject({ agent_id: "in-flight" });
    expect((await cli.exited).code).toBe(0);
  });

  it("lets two processes start at once on one empty data dir: both serve, one admin key", async () => {
    const dataDir = tempDir();
    const [a, b] = [up(["--data-dir", dataDir]), up(["--data-dir", dataDir])];
    const [readyA, readyB] = await Promise.all([a.ready, b.ready]);
    const keys = [readyA.admin_key, readyB.admin_key].filter((key) => key !== null);
    expect(keys).toHaveLength(1);
    for (const ready of [readyA, readyB]) {
      const response = await fetch(`${ready.api_url}/agents`, {
        headers: { authorization: `Bearer ${keys[0]}` },
      });
      expect(response.status).toBe(200);
    }
  });

  it("keeps every acknowledged create across kill -9 and opens the database again", async () => {
    const dataDir = tempDir();
    const env = { SYMBIONT_API_KEY: "e2e-key-0123456789abcdef" };
    const cli = up(["--data-dir", dataDir, "--log-level", "silent"], { env });
    const { api_url } = await cli.ready;
    const headers = { authorization: `Bearer ${env.SYMBIONT_API_KEY}`, "content-type": "application/json" };
    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const id = `crash-${next++}`;
        try {
          const response = await fetch(`${api_url}/agents`, {
            method: "POST",
            headers,
            body: JSON.stringify(sampleAgent(id)),
          });
          if (response.status === 201) acknowledged.push(id);
        } catch {
          return;
        }
        if (acknowledged.length >= 150 && !killed) {
          killed = true;
          cli.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect((await cli.exited).signal).toBe("SIGKILL");
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);

    const restarted = up(["--data-dir", dataDir, "--log-level", "silent"], { env });
    const again = await restarted.ready;
    const stored = (await (await fetch(`${again.api_url}/agents`, { headers })).json()) as string[];
    const missing = acknowledged.filter((id) => !stored.includes(id));
    expect(missing).toEqual([]);
    await restarted.stop();
    const db = new BetterSqlite3(join(dataDir, "symbiont.db"), { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });

  it("reloads the log level on SIGHUP from the config file", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "symbiont.yaml"), "logLevel: info\n");
    const cli = up([], { cwd, env: { SYMBIONT_API_KEY: "e2e-key-0123456789abcdef" } });
    await cli.ready;
    writeFileSync(join(cwd, "symbiont.yaml"), "logLevel: debug\nbodyLimit: 4096\n");
    cli.child.kill("SIGHUP");
    await expect.poll(() => cli.stdout(), { timeout: 5_000 }).toContain("SIGHUP: configuration reloaded");
    const line = cli
      .stdout()
      .split("\n")
      .find((l) => l.includes("SIGHUP: configuration reloaded"))!;
    expect(JSON.parse(line)).toMatchObject({ applied: ["logLevel"], requires_restart: ["bodyLimit"] });
  });

  it("refuses to start with an invalid setting, naming the key, its source and what is allowed", async () => {
    const flag = await runCli(["up", "--port", "eighty", "--data-dir", tempDir()]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(
      'port = "eighty" (from command-line flag for port): must be a whole number between 0 and 65535',
    );

    const env = await runCli(["up", "--data-dir", tempDir()], { env: { SYMBIONT_LOG_LEVEL: "loud" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(
      /logLevel = "loud" \(from environment variable SYMBIONT_LOG_LEVEL\): must be one of/,
    );

    const secret = await runCli(["up", "--data-dir", tempDir()], { env: { SYMBIONT_API_KEY: "tiny" } });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain("apiKey");
    expect(secret.stderr).not.toContain("tiny");
  });

  it("says which port is taken instead of crashing", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["up", "--port", String(port), "--data-dir", tempDir()]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("says so when Postgres cannot be reached", async () => {
    const result = await runCli(["up", "--data-dir", tempDir()], {
      env: { SYMBIONT_DATABASE_URL: "postgres://nobody:hunter2@127.0.0.1:1/none" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Could not open the Postgres database");
    expect(result.stderr).not.toContain("hunter2");
  });
});
