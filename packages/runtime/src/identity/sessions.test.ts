import {
  AuditPage,
  type ErrorBody,
  MeResponse,
  TokenResponse,
  TotpConfirmResponse,
} from "@symbiont/protocol";
import { generate } from "otplib";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import {
  bearer,
  createUser,
  login,
  PASSWORD,
  signWithRuntimeKey,
} from "../../../../test/support/identity.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

const fields = (body: unknown) =>
  (((body as ErrorBody).details as { issues?: { field: string }[] } | null)?.issues ?? []).map(
    (i) => i.field,
  );
const noAuth = { authorization: "" };

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`login sessions on ${target.name}`, () => {
    // The per-address login budget has its own test; here it would only get in the way.
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 0 });

    it("logs in, answers who the user is, and stores only an argon2id hash of the password", async () => {
      const user = await createUser(server, "Alice", ["operator"]);
      const tokens = await login(server, "alice");
      expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900 });

      const me = MeResponse.parse(
        (await server.call("GET", "/auth/me", { headers: bearer(tokens.access_token) })).body,
      );
      expect(me).toMatchObject({
        principal_kind: "user",
        tenant: { id: "default", name: "Default" },
        roles: ["operator"],
        permissions: ["delete", "execute", "read", "write"],
        session_id: tokens.session_id,
      });
      expect(me.user).toMatchObject({ id: user.id, username: "Alice", totp_enabled: false });

      const row = await server.runtime.store.db
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row.password_hash).not.toContain(PASSWORD);
    });

    it("carries the contract's claims in its access token", async () => {
      await createUser(server, "claims", ["viewer"]);
      const { access_token } = await login(server, "claims");
      const [header, payload] = access_token
        .split(".")
        .slice(0, 2)
        .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
      expect(header).toMatchObject({ alg: "EdDSA", typ: "JWT" });
      expect(payload).toMatchObject({
        iss: "symbiont",
        aud: "symbiont-api",
        type: "access",
        tenant: "default",
        roles: ["viewer"],
        permissions: ["read"],
      });
      for (const claim of ["sub", "jti", "iat", "exp", "sid"]) expect(payload).toHaveProperty(claim);
      expect(payload.exp - payload.iat).toBe(900);
    });

    it("rotates refresh tokens, and a reused one ends the whole session and is audited", async () => {
      await createUser(server, "rotator", ["user"]);
      const first = await login(server, "rotator");
      const refreshed = await server.call("POST", "/auth/refresh", {
        body: { refresh_token: first.refresh_token },
        headers: noAuth,
      });
      expect(refreshed.status).toBe(200);
      const second = TokenResponse.parse(refreshed.body);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.session_id).toBe(first.session_id);
      expect((await server.call("GET", "/auth/me", { headers: bearer(second.access_token) })).status).toBe(
        200,
      );

      // The first refresh token again: stolen, or replayed. The family ends.
      const replay = await server.call("POST", "/auth/refresh", {
        body: { refresh_token: first.refresh_token },
        headers: noAuth,
      });
      expect(replay.status).toBe(401);
      expect((replay.body as ErrorBody).error).toContain("already used");
      for (const token of [first.access_token, second.access_token]) {
        expect((await server.call("GET", "/auth/me", { headers: bearer(token) })).status).toBe(401);
      }
      const later = await server.call("POST", "/auth/refresh", {
        body: { refresh_token: second.refresh_token },
        headers: noAuth,
      });
      expect(later.status).toBe(401);

      const audit = AuditPage.parse((await server.call("GET", "/audit?action=refresh_token_reuse")).body);
      expect(audit.entries[0]).toMatchObject({
        action: "refresh_token_reuse",
        actor_name: "rotator",
        outcome: "denied",
        target_id: first.session_id,
      });
    });

    it("lets one of two concurrent refreshes with the same token win, and ends the session", async () => {
      await createUser(server, "racer", ["user"]);
      const tokens = await login(server, "racer");
      const answers = await Promise.all(
        [1, 2].map(() =>
          server.call("POST", "/auth/refresh", {
            body: { refresh_token: tokens.refresh_token },
            headers: noAuth,
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      const winner = TokenResponse.parse(answers.find((a) => a.status === 200)?.body);
      expect((await server.call("GET", "/auth/me", { headers: bearer(winner.access_token) })).status).toBe(
        401,
      );
    });

    it("logs out: the access token and the refresh token stop working at once", async () => {
      await createUser(server, "leaver", ["viewer"]);
      const tokens = await login(server, "leaver");
      const out = await server.call("POST", "/auth/logout", { headers: bearer(tokens.access_token) });
      expect(out.status).toBe(200);
      expect(out.body).toEqual({ logged_out: true, session_id: tokens.session_id });
      expect((await server.call("GET", "/auth/me", { headers: bearer(tokens.access_token) })).status).toBe(
        401,
      );
      const refresh = await server.call("POST", "/auth/refresh", {
        body: { refresh_token: tokens.refresh_token },
        headers: noAuth,
      });
      expect(refresh.status).toBe(401);
      // An API key has no session to end.
      const keyLogout = await server.call("POST", "/auth/logout");
      expect(keyLogout.status).toBe(400);
      expect(fields(keyLogout.body)).toEqual(["header.authorization"]);
    });

    it("answers 401 with 'expired' for an expired access token, as v1 clients expect", async () => {
      const user = await createUser(server, "late", ["viewer"]);
      const now = Math.floor(Date.now() / 1000);
      const token = await signWithRuntimeKey(server, {
        iss: "symbiont",
        aud: "symbiont-api",
        sub: user.id,
        type: "access",
        tenant: "default",
        sid: "no-session",
        name: "late",
        roles: ["viewer"],
        permissions: ["read"],
        jti: "j1",
        iat: now - 1000,
        exp: now - 100,
      });
      const response = await server.call("GET", "/agents", { headers: bearer(token) });
      expect(response.status).toBe(401);
      expect(response.text).toContain("expired");
    });

    it("refuses the same answer for a wrong password, an unknown user and an unknown tenant", async () => {
      await createUser(server, "careful", ["viewer"]);
      const attempts = [
        { username: "careful", password: "not the password at all" },
        { username: "nobody-here", password: PASSWORD },
        { username: "careful", password: PASSWORD, tenant: "no-such-tenant" },
      ];
      const answers = await Promise.all(
        attempts.map((body) => server.call("POST", "/auth/login", { body, headers: noAuth })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect((answer.body as ErrorBody).error).toBe("Invalid username or password");
      }
      const audit = AuditPage.parse((await server.call("GET", "/audit?action=login&outcome=denied")).body);
      const reasons = audit.entries.map((e) => e.details.reason);
      expect(reasons).toEqual(expect.arrayContaining(["bad_password", "unknown_user", "unknown_tenant"]));
    });

    it("locks an account after repeated failures, refuses even the right password, and an admin unlocks it", async () => {
      const user = await createUser(server, "guessed", ["viewer"]);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const wrong = await server.call("POST", "/auth/login", {
          body: { username: "guessed", password: `wrong password ${attempt}` },
          headers: noAuth,
        });
        expect(wrong.status).toBe(401);
      }
      const locked = await server.call("POST", "/auth/login", {
        body: { username: "guessed", password: PASSWORD },
        headers: noAuth,
      });
      expect(locked.status).toBe(429);
      expect((locked.body as ErrorBody).code).toBe("ACCOUNT_LOCKED");
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
      const info = await server.call("GET", `/users/${user.id}`);
      expect((info.body as { locked_until: string | null }).locked_until).not.toBeNull();

      const unlocked = await server.call("PATCH", `/users/${user.id}`, { body: { unlock: true } });
      expect(unlocked.status).toBe(200);
      expect((unlocked.body as { locked_until: string | null }).locked_until).toBeNull();
      await login(server, "guessed");
    });

    it("enforces the password policy and names the field", async () => {
      const cases: [string, string][] = [
        ["short", "body.password"],
        ["password1234", "body.password"],
        ["policyuser-and-more", "body.password"],
        ["aaaaaaaaaaaaaaaa", "body.password"],
      ];
      for (const [password, field] of cases) {
        const response = await server.call("POST", "/users", {
          body: { username: "policyuser", password, roles: ["viewer"] },
        });
        expect(response.status, password).toBe(400);
        expect(fields(response.body)).toEqual([field]);
      }
      // Unicode counts in characters, and is fine.
      await createUser(server, "unicode", ["viewer"], { password: "пароль-ключ-日本語-🔑🔑" });
      await login(server, "unicode", { password: "пароль-ключ-日本語-🔑🔑" });
    });

    it("changes a password: the current one is required and other sessions end", async () => {
      await createUser(server, "changer", ["viewer"]);
      const here = await login(server, "changer");
      const elsewhere = await login(server, "changer");
      const wrong = await server.call("POST", "/auth/password", {
        body: { current_password: "not it at all", new_password: "a brand new passphrase" },
        headers: bearer(here.access_token),
      });
      expect(wrong.status).toBe(403);
      expect(fields(wrong.body)).toEqual(["body.current_password"]);
      const changed = await server.call("POST", "/auth/password", {
        body: { current_password: PASSWORD, new_password: "a brand new passphrase" },
        headers: bearer(here.access_token),
      });
      expect(changed.status).toBe(200);
      expect((await server.call("GET", "/auth/me", { headers: bearer(here.access_token) })).status).toBe(200);
      expect((await server.call("GET", "/auth/me", { headers: bearer(elsewhere.access_token) })).status).toBe(
        401,
      );
      await login(server, "changer", { password: "a brand new passphrase" });
    });

    it("enrols a TOTP second factor, requires it at login, refuses a replayed code, and takes each recovery code once", async () => {
      await createUser(server, "twofactor", ["viewer"]);
      const session = await login(server, "twofactor");
      const auth = bearer(session.access_token);
      const enrolled = await server.call("POST", "/auth/totp/enroll", { headers: auth });
      expect(enrolled.status).toBe(200);
      const { secret, otpauth_uri } = enrolled.body as { secret: string; otpauth_uri: string };
      expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\/Symbiont:twofactor%40default\?/);

      const badConfirm = await server.call("POST", "/auth/totp/confirm", {
        body: { code: "000000" },
        headers: auth,
      });
      expect(badConfirm.status).toBe(400);
      // A code from the previous 30-second step: valid for confirmation, and then spent.
      const earlier = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
      const confirmed = await server.call("POST", "/auth/totp/confirm", {
        body: { code: earlier },
        headers: auth,
      });
      expect(confirmed.status).toBe(200);
      const { recovery_codes } = TotpConfirmResponse.parse(confirmed.body);
      expect(recovery_codes).toHaveLength(10);

      const withoutCode = await server.call("POST", "/auth/login", {
        body: { username: "twofactor", password: PASSWORD },
        headers: noAuth,
      });
      expect(withoutCode.status).toBe(401);
      expect((withoutCode.body as ErrorBody).code).toBe("TOTP_REQUIRED");

      const code = await generate({ secret });
      const withCode = await login(server, "twofactor", { totp_code: code });
      expect(withCode.access_token).toBeTruthy();
      const replayed = await server.call("POST", "/auth/login", {
        body: { username: "twofactor", password: PASSWORD, totp_code: code },
        headers: noAuth,
      });
      expect(replayed.status).toBe(401);
      expect((replayed.body as ErrorBody).error).toContain("already used");

      await login(server, "twofactor", { recovery_code: recovery_codes[0] });
      const again = await server.call("POST", "/auth/login", {
        body: { username: "twofactor", password: PASSWORD, recovery_code: recovery_codes[0] },
        headers: noAuth,
      });
      expect(again.status).toBe(401);
      const me = MeResponse.parse((await server.call("GET", "/auth/me", { headers: auth })).body);
      expect(me.user?.totp_enabled).toBe(true);

      // Stored sealed under the master key: the database alone does not give the secret away.
      const stored = await server.runtime.store.db
        .selectFrom("users")
        .select("totp_secret")
        .where("username", "=", "twofactor")
        .executeTakeFirstOrThrow();
      expect(stored.totp_secret).toMatch(/^v1\./);
      expect(stored.totp_secret).not.toContain(secret);
      const disabled = await server.call("POST", "/auth/totp/disable", {
        body: { password: PASSWORD },
        headers: auth,
      });
      expect(disabled.status).toBe(200);
      await login(server, "twofactor");
    });

    it("publishes its public keys, rotates them, and keeps verifying tokens of the retired key", async () => {
      await createUser(server, "rotating", ["viewer"]);
      const before = await login(server, "rotating");
      const jwks = await fetch(`${server.runtime.url}/.well-known/jwks.json`);
      expect(jwks.status).toBe(200);
      const keys = ((await jwks.json()) as { keys: Record<string, unknown>[] }).keys;
      expect(keys.length).toBeGreaterThan(0);
      const rows = await server.runtime.store.db.selectFrom("signing_keys").select("private_jwk").execute();
      for (const row of rows) expect(row.private_jwk).toMatch(/^v1\./);
      for (const key of keys) {
        expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
        expect(key).not.toHaveProperty("d");
      }

      const rotated = await server.call("POST", "/auth/signing-keys/rotate");
      expect(rotated.status).toBe(200);
      const { kid } = rotated.body as { kid: string };
      const after = await login(server, "rotating");
      const header = JSON.parse(
        Buffer.from(after.access_token.split(".")[0] as string, "base64url").toString(),
      );
      expect(header.kid).toBe(kid);
      expect((await server.call("GET", "/auth/me", { headers: bearer(before.access_token) })).status).toBe(
        200,
      );
      const published = (await server.call("GET", "/auth/jwks.json")).body as { keys: { kid: string }[] };
      expect(published.keys.map((k) => k.kid)).toEqual(
        expect.arrayContaining([kid, ...keys.map((k) => k.kid)]),
      );
    });

    it("ends a user's sessions when an admin changes its roles or disables it, and its keys when disabled", async () => {
      const user = await createUser(server, "demoted", ["operator"]);
      const tokens = await login(server, "demoted");
      await server.call("PATCH", `/users/${user.id}`, { body: { roles: ["user"] } });
      expect((await server.call("GET", "/auth/me", { headers: bearer(tokens.access_token) })).status).toBe(
        401,
      );
      const fresh = await login(server, "demoted");
      const me = MeResponse.parse(
        (await server.call("GET", "/auth/me", { headers: bearer(fresh.access_token) })).body,
      );
      expect(me.permissions).toEqual(["execute", "read", "write"]);

      const key = await server.call("POST", "/keys", {
        body: { name: "demoted's key", permissions: ["read"] },
        headers: bearer(fresh.access_token),
      });
      expect(key.status).toBe(201);
      const keySecret = (key.body as { key: string }).key;
      expect((await server.call("GET", "/agents", { headers: bearer(keySecret) })).status).toBe(200);
      await server.call("PATCH", `/users/${user.id}`, { body: { disabled: true } });
      // The keys it made stop with it.
      expect((await server.call("GET", "/agents", { headers: bearer(keySecret) })).status).toBe(401);
      expect((await server.call("GET", "/auth/me", { headers: bearer(fresh.access_token) })).status).toBe(
        401,
      );
      const refused = await server.call("POST", "/auth/login", {
        body: { username: "demoted", password: PASSWORD },
        headers: noAuth,
      });
      expect(refused.status).toBe(401);
    });
  });
}
