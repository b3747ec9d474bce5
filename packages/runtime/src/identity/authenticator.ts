import { timingSafeEqual } from "node:crypto";
import type { Grant } from "@symbiont/protocol";
import type { ChangeVersion } from "../store/change-version.js";
import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import { VersionedCache } from "../store/versioned-cache.js";
import type { AccessTokenAuthenticator } from "./access-token-authenticator.js";
import { digestSecret, parseApiKey, secretMatches } from "./api-key-format.js";
import type { ApiKeyRepository, ApiKeyRow } from "./api-key-repository.js";
import { parseGrants } from "./grants.js";
import type { Scope } from "./scope.js";
import { tokenHeader } from "./session-tokens.js";
import type { SharedSecretJwtVerifier } from "./shared-secret-jwt.js";
import { SIGNING_ALGORITHM } from "./signing-keys.js";
import { tokenDigest } from "./verified-tokens.js";

export type AuthenticationFailure = "missing" | "malformed" | "invalid" | "expired" | "revoked";

export type AuthenticationResult =
  | { ok: true; scope: Scope }
  /** `subject` is the key's own scope when the token named a real key, for auditing the attempt. */
  | { ok: false; reason: AuthenticationFailure; subject?: Scope };

const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** Three base64url parts: worth trying as a JWT rather than an API key. */
const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
const BEARER = /^Bearer[ \t]+(\S{1,1024})[ \t]*$/i;

/** What a stored key resolves to, worked out once per read of its row. */
interface KnownKey {
  id: string;
  secretDigest: Buffer;
  expiresAt: number | null;
  revoked: boolean;
  scope: Scope;
}

function knownKeyOf(row: ApiKeyRow): KnownKey {
  return {
    id: row.id,
    secretDigest: Buffer.from(row.secret_hash, "hex"),
    expiresAt: row.expires_at ? Date.parse(row.expires_at) : null,
    revoked: row.revoked_at !== null,
    scope: Object.freeze({
      tenantId: row.tenant_id,
      principalId: row.principal_id,
      principalKind: "api_key",
      principalName: row.name,
      grants: parseGrants(row.permissions),
      agentIds: row.agent_ids === null ? null : new Set(JSON.parse(row.agent_ids) as string[]),
    }),
  };
}

const ENVIRONMENT_KEY_SCOPE: Scope = Object.freeze({
  tenantId: DEFAULT_TENANT_ID,
  principalId: "environment-key",
  principalKind: "environment_key",
  principalName: "SYMBIONT_API_KEY",
  grants: new Set<Grant>(["admin"]),
  agentIds: null,
});

/** Turns the bearer token of a request into a Scope, or says why it cannot. */
export class Authenticator {
  private readonly environmentKeyDigest: Buffer | undefined;
  private readonly lastUsedWrites = new Map<string, number>();
  /** Keys read once stay known until the database changes; a revocation is a change. */
  private readonly knownKeys: VersionedCache<string, KnownKey | undefined>;

  constructor(
    private readonly keys: ApiKeyRepository,
    environmentKey: string | undefined,
    changeVersion: ChangeVersion | undefined,
    private readonly sharedSecretJwt?: SharedSecretJwtVerifier,
    private readonly accessTokens?: AccessTokenAuthenticator,
    private readonly now: () => number = Date.now,
  ) {
    this.environmentKeyDigest = environmentKey ? digestSecret(environmentKey) : undefined;
    this.knownKeys = new VersionedCache(changeVersion);
  }

  /** Synchronous when the key is already known and nothing needs writing, as on most requests. */
  authenticate(authorization: string | undefined): AuthenticationResult | Promise<AuthenticationResult> {
    if (!authorization) return { ok: false, reason: "missing" };
    const token = BEARER.exec(authorization)?.[1];
    if (!token) return { ok: false, reason: "malformed" };

    if (this.environmentKeyDigest && timingSafeEqual(digestSecret(token), this.environmentKeyDigest)) {
      return { ok: true, scope: ENVIRONMENT_KEY_SCOPE };
    }

    if (looksLikeJwt(token)) return this.authenticateJwt(token);

    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, reason: "invalid" };
    const known = this.knownKeys.read(parsed.id, () => this.load(parsed.id));
    return known instanceof Promise
      ? known.then((loaded) => this.check(loaded, parsed.secret))
      : this.check(known, parsed.secret);
  }

  /**
   * HMAC tokens go to the v1 shared-secret verifier only and the runtime's own EdDSA tokens to
   * theirs only, so neither verifier ever sees an algorithm it might be confused by.
   */
  private authenticateJwt(token: string): AuthenticationResult | Promise<AuthenticationResult> {
    // A token seen before is answered from its verifier's memory, before its header is even read.
    const digest = tokenDigest(token);
    const recalled = this.accessTokens?.recall(digest) ?? this.sharedSecretJwt?.recall(digest);
    if (recalled) return recalled;
    const alg = tokenHeader(token)?.alg;
    if (typeof alg === "string" && alg.startsWith("HS") && this.sharedSecretJwt)
      return this.sharedSecretJwt.verify(token, digest);
    if (alg === SIGNING_ALGORITHM && this.accessTokens) return this.accessTokens.authenticate(token, digest);
    return { ok: false, reason: "invalid" };
  }

  private check(
    known: KnownKey | undefined,
    secret: string,
  ): AuthenticationResult | Promise<AuthenticationResult> {
    if (!known) return { ok: false, reason: "invalid" };
    if (!secretMatches(secret, known.secretDigest))
      return { ok: false, reason: "invalid", subject: known.scope };
    if (known.revoked) return { ok: false, reason: "revoked", subject: known.scope };
    const now = this.now();
    if (known.expiresAt !== null && known.expiresAt <= now)
      return { ok: false, reason: "expired", subject: known.scope };
    const result: AuthenticationResult = { ok: true, scope: known.scope };
    const recorded = this.recordUse(known.id, now);
    return recorded ? recorded.then(() => result) : result;
  }

  private async load(id: string): Promise<KnownKey | undefined> {
    const row = await this.keys.findById(id);
    return row && knownKeyOf(row);
  }

  /** last_used_at is for humans, so it is written at most once a minute per key, not on every request. */
  private recordUse(keyId: string, now: number): Promise<void> | undefined {
    const previous = this.lastUsedWrites.get(keyId) ?? 0;
    if (now - previous < LAST_USED_WRITE_INTERVAL_MS) return undefined;
    this.lastUsedWrites.set(keyId, now);
    return this.keys.touchLastUsed(keyId, new Date(now).toISOString());
  }
}
