import { ErrorBody } from "@symbiont/protocol";
import { type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const SECRET = "a-shared-secret-of-at-least-32-characters!";
const key = (secret = SECRET) => new TextEncoder().encode(secret);

async function token(
  claims: JWTPayload & Record<string, unknown> = {},
  options: {
    secret?: string;
    alg?: string;
    expiresIn?: string | number;
    issuer?: string;
    audience?: string;
  } = {},
): Promise<string> {
  let jwt = new SignJWT({ type: "access", roles: ["user"], permissions: ["read"], ...claims })
    .setProtectedHeader({ alg: options.alg ?? "HS256" })
    .setSubject("alice")
    .setIssuedAt()
    .setIssuer(options.issuer ?? "symbiont")
    .setAudience(options.audience ?? "symbiont-api");
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  else jwt = jwt.setExpirationTime("15m");
  return jwt.sign(key(options.secret));
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

describe("HS256 access tokens of v1 clients", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let without: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { jwtSecret: SECRET });
    without = await startTestRuntime(database);
  });
  afterAll(async () => {
    await server?.close();
    await without?.close();
    await database?.dispose();
  });

  it("accepts a valid token with the permissions its claims grant", async () => {
    const reader = await token({ permissions: ["read"] });
    expect((await server.call("GET", "/agents", { headers: bearer(reader) })).status).toBe(200);
    expect(
      (await server.call("POST", "/agents", { body: sampleAgent("no"), headers: bearer(reader) })).status,
    ).toBe(403);
    const admin = await token({ roles: ["admin"], permissions: [] });
    expect(
      (await server.call("POST", "/agents", { body: sampleAgent("by-jwt"), headers: bearer(admin) })).status,
    ).toBe(201);
    const entry = (
      (await server.call("GET", "/audit?action=createAgent", { headers: bearer(admin) })).body as {
        entries: unknown[];
      }
    ).entries[0];
    expect(entry).toMatchObject({ actor_id: "user:alice", actor_kind: "jwt", target_id: "by-jwt" });
  });

  it("answers 401 saying 'expired' to an expired token, and only to that", async () => {
    const expired = await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const response = await server.call("GET", "/agents", { headers: bearer(expired) });
    expect(response.status).toBe(401);
    expect(ErrorBody.parse(response.body).code).toBe("TOKEN_EXPIRED");
    expect(response.text.toLowerCase()).toContain("expired");
  });

  it("stops accepting a token the moment it expires, even one it has already verified", async () => {
    const shortLived = await token({}, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    expect((await server.call("GET", "/agents", { headers: bearer(shortLived) })).status).toBe(200);
    expect((await server.call("GET", "/agents", { headers: bearer(shortLived) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const late = await server.call("GET", "/agents", { headers: bearer(shortLived) });
    expect(late.status).toBe(401);
    expect(late.text).toContain("expired");
  });

  it("refuses refresh tokens, forged, unsigned, confused and misaddressed tokens", async () => {
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
    const body = Buffer.from(
      JSON.stringify({
        sub: "mallory",
        type: "access",
        roles: ["admin"],
        permissions: ["admin"],
        iss: "symbiont",
        aud: "symbiont-api",
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString("base64url");
    const attempts: Record<string, string> = {
      "refresh as access": await token({ type: "refresh" }),
      "wrong secret": await token(
        { roles: ["admin"] },
        { secret: "another-secret-that-is-32-characters-long" },
      ),
      "alg none": `${header("none")}.${body}.`,
      "HS512 when HS256 is configured": await token({ roles: ["admin"] }, { alg: "HS512" }),
      "wrong issuer": await token({}, { issuer: "someone-else" }),
      "wrong audience": await token({}, { audience: "another-api" }),
      "tampered payload": (await token({ permissions: ["read"] })).replace(/\.[^.]+\./, `.${body}.`),
    };
    for (const [label, jwt] of Object.entries(attempts)) {
      const response = await server.call("GET", "/agents", { headers: bearer(jwt) });
      expect(response.status, label).toBe(401);
      expect(response.text.toLowerCase(), label).not.toContain("expired");
    }
    const noExp = await new SignJWT({ type: "access", permissions: ["read"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("alice")
      .setIssuer("symbiont")
      .setAudience("symbiont-api")
      .sign(key());
    expect((await server.call("GET", "/agents", { headers: bearer(noExp) })).status).toBe(401);
  });

  it("refuses every token when no secret is configured", async () => {
    expect(
      (await without.call("GET", "/agents", { headers: bearer(await token({ roles: ["admin"] })) })).status,
    ).toBe(401);
  });

  it("acts in the default tenant whatever the token claims", async () => {
    const other = await token({ roles: ["admin"], tenant: "tenant-that-does-not-exist" });
    expect((await server.call("GET", "/agents/by-jwt", { headers: bearer(other) })).status).toBe(200);
    expect(
      (await server.call("POST", "/agents", { body: sampleAgent("claims-a-tenant"), headers: bearer(other) }))
        .status,
    ).toBe(201);
  });
});
