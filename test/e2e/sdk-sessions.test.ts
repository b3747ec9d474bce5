import {
  AuthenticationError,
  PermissionDeniedError,
  type SessionTokens,
  SymbiontClient,
  SymbiontError,
} from "@symbiont/sdk";
import { generate } from "otplib";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { createUser, PASSWORD, signWithRuntimeKey } from "../support/identity.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`SDK sessions against a real runtime on ${target.name}`, () => {
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 0 });
    const admin = () => new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    const anonymous = (options: ConstructorParameters<typeof SymbiontClient>[0] = {}) =>
      new SymbiontClient({ baseUrl: server.api, maxRetries: 0, ...options }, { env: {}, cwd: null });

    it("logs in, tells who it is, its roles and what it may do", async () => {
      await admin().users.create({ username: "sdk-op", password: PASSWORD, roles: ["operator"] });
      const stored: SessionTokens[] = [];
      const sdk = anonymous({ onTokens: (tokens) => stored.push(tokens) });
      const tokens = await sdk.auth.login({ username: "sdk-op", password: PASSWORD });
      expect(stored).toEqual([tokens]);
      expect(tokens.accessExpiresAt).toBeGreaterThan(Date.now());

      expect((await sdk.auth.me()).user?.username).toBe("sdk-op");
      expect(await sdk.auth.getUserRoles()).toEqual(["operator"]);
      expect(await sdk.auth.validatePermissions("delete", "agents")).toBe(true);
      expect(await sdk.auth.validatePermissions("manage", "users")).toBe(false);
      expect(await sdk.auth.validatePermissions("admin")).toBe(false);
      await expect(sdk.auth.validatePermissions("fly", "planes")).rejects.toThrow(/no permission/);
      expect(await sdk.agents.list()).toEqual([]);
      // Reading the tenant's users is reading; managing them is not writing.
      expect((await sdk.users.list()).map((u) => u.username)).toContain("sdk-op");
      await expect(
        sdk.users.create({ username: "sdk-op-2", password: PASSWORD, roles: ["viewer"] }),
      ).rejects.toBeInstanceOf(PermissionDeniedError);

      await sdk.auth.logout();
      await expect(sdk.agents.list()).rejects.toBeInstanceOf(AuthenticationError);
    });

    it("refreshes an expired access token once by itself, for many requests at once", async () => {
      const user = await createUser(server, "sdk-refresh", ["viewer"]);
      const login = await anonymous().auth.login({ username: "sdk-refresh", password: PASSWORD });
      const now = Math.floor(Date.now() / 1000);
      const expired = await signWithRuntimeKey(server, {
        iss: "symbiont",
        aud: "symbiont-api",
        sub: user.id,
        type: "access",
        tenant: "default",
        sid: login.sessionId,
        name: "sdk-refresh",
        roles: ["viewer"],
        permissions: ["read"],
        jti: "old",
        iat: now - 2000,
        exp: now - 1000,
      });
      const stored: SessionTokens[] = [];
      const sdk = anonymous({
        apiKey: expired,
        refreshToken: login.refreshToken,
        onTokens: (tokens) => stored.push(tokens),
      });
      const answers = await Promise.all(Array.from({ length: 5 }, () => sdk.agents.list()));
      expect(answers).toEqual(Array.from({ length: 5 }, () => []));
      // One refresh for all five: a second would have spent a used token and ended the session.
      expect(stored).toHaveLength(1);
      expect(stored[0]?.sessionId).toBe(login.sessionId);
      expect(await sdk.agents.list()).toEqual([]);
    });

    it("reports an ended session as an authentication error, without the tokens in the message", async () => {
      await createUser(server, "sdk-ended", ["viewer"]);
      const first = anonymous();
      const tokens = await first.auth.login({ username: "sdk-ended", password: PASSWORD });
      await first.auth.logout();
      const sdk = anonymous({ apiKey: tokens.accessToken, refreshToken: tokens.refreshToken });
      const error = await sdk.agents.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(String(error)).toContain("log in again");
      expect(String(error)).not.toContain(tokens.refreshToken);
      expect(String(error)).not.toContain(tokens.accessToken);
    });

    it("logs in with a second factor, and says when one is needed", async () => {
      await createUser(server, "sdk-2fa", ["viewer"]);
      const sdk = anonymous();
      await sdk.auth.login({ username: "sdk-2fa", password: PASSWORD });
      const { secret } = await sdk.auth.enrollTotp();
      const { recovery_codes } = await sdk.auth.confirmTotp(await generate({ secret }));
      expect(recovery_codes).toHaveLength(10);

      const needsCode = await anonymous()
        .auth.login({ username: "sdk-2fa", password: PASSWORD })
        .catch((e: unknown) => e);
      expect(needsCode).toBeInstanceOf(AuthenticationError);
      expect((needsCode as AuthenticationError).code).toBe("TOTP_REQUIRED");
      const withRecovery = anonymous();
      await withRecovery.auth.login({
        username: "sdk-2fa",
        password: PASSWORD,
        recoveryCode: recovery_codes[0],
      });
      expect((await withRecovery.auth.me()).user?.totp_enabled).toBe(true);
    });

    it("authenticates with a JWT handed to it and manages users, roles and tenants", async () => {
      const sdk = admin();
      const role = await sdk.roles.create({ name: "sdk-reader", permissions: ["agents:read"] });
      expect(role.built_in).toBe(false);
      const user = await sdk.users.create({ username: "sdk-jwt", password: PASSWORD, roles: ["sdk-reader"] });
      expect((await sdk.users.get(user.id)).roles).toEqual(["sdk-reader"]);
      expect((await sdk.users.update(user.id, { display_name: "JWT" })).display_name).toBe("JWT");
      const tenant = await sdk.tenants.create({ id: "sdk-tenant", name: "SDK" });
      expect((await sdk.tenants.rename(tenant.id, "SDK Tenant")).name).toBe("SDK Tenant");
      expect((await sdk.tenants.list()).map((t) => t.id)).toContain("sdk-tenant");

      const { accessToken } = await anonymous().auth.login({ username: "sdk-jwt", password: PASSWORD });
      const other = anonymous();
      const me = await other.auth.authenticateJwt(accessToken);
      expect(me.permissions).toEqual(["agents:read"]);
      await expect(other.auth.authenticateJwt("not-a-token")).rejects.toBeInstanceOf(SymbiontError);
      expect((await sdk.auth.jwks()).keys.length).toBeGreaterThan(0);
      await sdk.roles.update("sdk-reader", { description: "reads agents" });
      await expect(sdk.roles.delete("sdk-reader")).rejects.toThrow(/held by 1 user/);
      await sdk.users.delete(user.id);
      expect(await sdk.roles.delete("sdk-reader")).toEqual({ deleted: true, name: "sdk-reader" });
    });
  });
}
