import { createHash, timingSafeEqual } from "node:crypto";
import { CoarsePermission, type Grant, Permission } from "@symbiont/protocol";
import type { ChangeVersion } from "../store/change-version.js";
import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import { VersionedCache } from "../store/versioned-cache.js";
import { parseApiKey, secretMatches } from "./api-key-format.js";
import type { ApiKeyRepository, ApiKeyRow } from "./api-key-repository.js";
import type { Scope } from "./scope.js";

export type AuthenticationFailure = "missing" | "malformed" | "invalid" | "expired" | "revoked";

export type AuthenticationResult = { ok: true; scope: Scope } | { ok: false; reason: AuthenticationFailure };

const LAST_USED_WRITE_INTERVAL_MS = 60_000;

function parseGrants(json: string): Set<Grant> {
  const grants = new Set<Grant>();
  for (const value of JSON.parse(json) as unknown[]) {
    const coarse = CoarsePermission.safeParse(value);
    if (coarse.success) grants.add(coarse.data);
    const fine = Permission.safeParse(value);
    if (fine.success) grants.add(fine.data);
  }
  return grants;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

interface KnownKey {
  row: ApiKeyRow;
  grants: ReadonlySet<Grant>;
}

/** Turns the bearer token of a request into a Scope, or says why it cannot. */
export class Authenticator {
  private readonly environmentKeyHash: Buffer | undefined;
  private readonly lastUsedWrites = new Map<string, number>();
  /** Keys read once stay known until the database changes; a revocation is a change. */
  private readonly knownKeys: VersionedCache<string, KnownKey | undefined>;

  constructor(
    private readonly keys: ApiKeyRepository,
    environmentKey: string | undefined,
    changeVersion: ChangeVersion | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.environmentKeyHash = environmentKey ? sha256(environmentKey) : undefined;
    this.knownKeys = new VersionedCache(changeVersion);
  }

  async authenticate(authorization: string | undefined): Promise<AuthenticationResult> {
    if (!authorization) return { ok: false, reason: "missing" };
    const match = /^Bearer[ \t]+(\S{1,1024})[ \t]*$/i.exec(authorization);
    if (!match?.[1]) return { ok: false, reason: "malformed" };
    const token = match[1];

    if (this.environmentKeyHash && timingSafeEqual(sha256(token), this.environmentKeyHash)) {
      return {
        ok: true,
        scope: {
          tenantId: DEFAULT_TENANT_ID,
          principalId: "environment-key",
          principalKind: "environment_key",
          principalName: "SYMBIONT_API_KEY",
          grants: new Set<Grant>(["admin"]),
        },
      };
    }

    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, reason: "invalid" };
    const known = await this.knownKeys.read(parsed.id, async () => {
      const found = await this.keys.findById(parsed.id);
      return found && { row: found, grants: parseGrants(found.permissions) };
    });
    if (!known || !secretMatches(parsed.secret, known.row.secret_hash))
      return { ok: false, reason: "invalid" };
    const { row, grants } = known;
    const now = this.now();
    if (row.revoked_at) return { ok: false, reason: "revoked" };
    if (row.expires_at && Date.parse(row.expires_at) <= now.getTime())
      return { ok: false, reason: "expired" };

    await this.recordUse(row.id, now);
    return {
      ok: true,
      scope: {
        tenantId: row.tenant_id,
        principalId: row.principal_id,
        principalKind: "api_key",
        principalName: row.name,
        grants,
      },
    };
  }

  /** last_used_at is for humans, so it is written at most once a minute per key, not on every request. */
  private async recordUse(keyId: string, now: Date): Promise<void> {
    const previous = this.lastUsedWrites.get(keyId) ?? 0;
    if (now.getTime() - previous < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(keyId, now.getTime());
    await this.keys.touchLastUsed(keyId, now.toISOString());
  }
}
