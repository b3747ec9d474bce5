import type { AuditTrail } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import type { Sealer } from "../secrets/sealer.js";
import type { Store } from "../store/database.js";
import { AccessTokenAuthenticator } from "./access-token-authenticator.js";
import { AccountService } from "./account-service.js";
import { ApiKeyRepository } from "./api-key-repository.js";
import type { IdentityServices } from "./identity-routes.js";
import { RoleRepository } from "./role-repository.js";
import { RoleService } from "./role-service.js";
import { SessionRepository } from "./session-repository.js";
import { SessionService } from "./session-service.js";
import { SessionTokens } from "./session-tokens.js";
import { SigningKeys } from "./signing-keys.js";
import { TenantRepository } from "./tenant-repository.js";
import { TenantService } from "./tenant-service.js";
import { UserRepository } from "./user-repository.js";
import { UserService } from "./user-service.js";

/** Users, sessions, roles and tenants, wired; the first signing key is made here on a new database. */
export async function openIdentity(
  store: Store,
  audit: AuditTrail,
  config: () => Config,
  /** Seals signing keys and TOTP secrets at rest, under a master-key subkey of their own. */
  sealer: Sealer,
): Promise<{ services: IdentityServices; accessTokens: AccessTokenAuthenticator }> {
  const users = new UserRepository(store.db);
  const sessions = new SessionRepository(store.db);
  const tenants = new TenantRepository(store.db);
  const roles = new RoleService(new RoleRepository(store.db), users);
  // A retired key verifies as long as the longest-lived token it may have signed.
  const signingKeys = new SigningKeys(store, () => config().refreshTokenTtlSeconds * 1000, sealer);
  await signingKeys.ensureActiveKey();
  const tokens = new SessionTokens(signingKeys, () => ({
    access: config().accessTokenTtlSeconds,
    refresh: config().refreshTokenTtlSeconds,
  }));
  const settings = () => {
    const current = config();
    return {
      accessTtlSeconds: current.accessTokenTtlSeconds,
      refreshTtlSeconds: current.refreshTokenTtlSeconds,
      sessionMaxAgeSeconds: current.sessionMaxAgeSeconds,
      lockoutThreshold: current.loginLockoutThreshold,
    };
  };
  return {
    accessTokens: new AccessTokenAuthenticator(tokens, sessions, store.changeVersion),
    services: {
      sessions: new SessionService(store, users, tenants, roles, sessions, tokens, audit, settings, sealer),
      account: new AccountService(users, sessions, sealer),
      users: new UserService(users, roles, sessions, new ApiKeyRepository(store.db)),
      roles,
      tenants: new TenantService(store, tenants, users),
      signingKeys,
    },
  };
}
