import { PassThrough } from "node:stream";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { bearer } from "../../../../test/support/identity.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const CANARY_PASSWORD = "canary-passphrase-7f3a91c2e4";
const CANARY_NEW_PASSWORD = "canary-new-passphrase-b81d0e";

/**
 * Plants passwords, then drives every identity feature that touches a credential, failures
 * included, with debug logging on: no password, token, TOTP secret or recovery code may appear in
 * any log line or in the audit log.
 */
describe("identity secrets never leak into logs or the audit trail", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  const logLines: string[] = [];

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    const logStream = new PassThrough();
    logStream.on("data", (chunk: Buffer) =>
      logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
    );
    server = await startTestRuntime(
      database,
      { logLevel: "trace", rateLimitAuthPerMinute: 0 },
      { logStream },
    );
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("keeps every credential out", async () => {
    const secrets: string[] = [CANARY_PASSWORD, CANARY_NEW_PASSWORD];
    const noAuth = { authorization: "" };
    const created = await server.call("POST", "/users", {
      body: { username: "bird", password: CANARY_PASSWORD, roles: ["user"] },
    });
    expect(created.status, created.text).toBe(201);
    await server.call("POST", "/users", {
      body: { username: "bird2", password: "short", roles: ["user"] },
    });
    await server.call("POST", "/auth/login", {
      body: { username: "bird", password: `${CANARY_PASSWORD}-wrong` },
      headers: noAuth,
    });
    secrets.push(`${CANARY_PASSWORD}-wrong`);
    const login = await server.call("POST", "/auth/login", {
      body: { username: "bird", password: CANARY_PASSWORD },
      headers: noAuth,
    });
    expect(login.status).toBe(200);
    const tokens = login.body as { access_token: string; refresh_token: string };
    secrets.push(tokens.access_token, tokens.refresh_token);
    const refreshed = await server.call("POST", "/auth/refresh", {
      body: { refresh_token: tokens.refresh_token },
      headers: noAuth,
    });
    const next = refreshed.body as { access_token: string; refresh_token: string };
    secrets.push(next.access_token, next.refresh_token);
    // A replay, which ends the session and is audited.
    await server.call("POST", "/auth/refresh", {
      body: { refresh_token: tokens.refresh_token },
      headers: noAuth,
    });

    const again = (
      await server.call("POST", "/auth/login", {
        body: { username: "bird", password: CANARY_PASSWORD },
        headers: noAuth,
      })
    ).body as { access_token: string; refresh_token: string };
    expect(again.access_token).toMatch(/^eyJ/);
    secrets.push(again.access_token, again.refresh_token);
    const auth = bearer(again.access_token);
    const enrollment = await server.call("POST", "/auth/totp/enroll", { headers: auth });
    expect(enrollment.status, enrollment.text).toBe(200);
    const enrolled = enrollment.body as { secret: string };
    secrets.push(enrolled.secret);
    const confirmed = (
      await server.call("POST", "/auth/totp/confirm", {
        body: { code: await generate({ secret: enrolled.secret }) },
        headers: auth,
      })
    ).body as { recovery_codes: string[] };
    secrets.push(...confirmed.recovery_codes);
    await server.call("POST", "/auth/login", {
      body: { username: "bird", password: CANARY_PASSWORD, recovery_code: confirmed.recovery_codes[0] },
      headers: noAuth,
    });
    await server.call("POST", "/auth/password", {
      body: { current_password: CANARY_PASSWORD, new_password: CANARY_NEW_PASSWORD },
      headers: auth,
    });
    await server.call("POST", "/auth/password", {
      body: { current_password: "wrong-current-password", new_password: CANARY_NEW_PASSWORD },
      headers: auth,
    });
    await server.call("GET", "/agents", { headers: bearer(`${again.access_token}x`) });

    const audit = await server.call("GET", "/audit?limit=500");
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      for (const line of logLines) expect(line, "a log line").not.toContain(secret);
      expect(audit.text, "the audit log").not.toContain(secret);
    }
  });
});
