import { CoarsePermission, type Grant } from "@symbiont/protocol";
import { errors, jwtVerify } from "jose";
import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import type { AuthenticationResult } from "./authenticator.js";
import { JWT_AUDIENCE, JWT_ISSUER } from "./jwt-claims.js";
import type { Scope } from "./scope.js";
import { tokenDigest, VerifiedTokens } from "./verified-tokens.js";

/** `roles` grant what the contract's roles mean; `permissions` grant themselves. */
function grantsOf(roles: unknown, permissions: unknown): Set<Grant> {
  const grants = new Set<Grant>();
  for (const permission of Array.isArray(permissions) ? permissions : []) {
    const parsed = CoarsePermission.safeParse(permission);
    if (parsed.success) grants.add(parsed.data);
  }
  if (Array.isArray(roles) && roles.includes("admin")) grants.add("admin");
  return grants;
}

/**
 * Access tokens as v1 clients carry them: HMAC-signed with a secret shared with whoever issues them,
 * with iss "symbiont", aud "symbiont-api", type "access", sub, roles, permissions, iat and exp. Only
 * the configured HMAC algorithm is accepted, so "none" and algorithm confusion fail verification.
 */
export class SharedSecretJwtVerifier {
  /** Imported once: importing the raw secret on every verification costs more than the rest of it. */
  private readonly key: Promise<CryptoKey>;

  constructor(
    secret: string,
    private readonly algorithm: "HS256" | "HS384" | "HS512",
  ) {
    this.key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: `SHA-${algorithm.slice(2)}` },
      false,
      ["verify"],
    );
  }

  private readonly verified = new VerifiedTokens();

  /** The answer for a token verified before, by its digest; undefined when it never was. */
  recall(digest: string): AuthenticationResult | undefined {
    const known = this.verified.recall(digest, Date.now());
    if (known === "expired") return { ok: false, reason: "expired" };
    return known ? { ok: true, scope: known } : undefined;
  }

  verify(token: string, digest = tokenDigest(token)): AuthenticationResult | Promise<AuthenticationResult> {
    const recalled = this.recall(digest);
    if (recalled) return recalled;
    return this.check(token).then((result) => {
      if (result.ok && result.expiresAtMs !== undefined)
        this.verified.remember(digest, result.scope, result.expiresAtMs);
      return result;
    });
  }

  private async check(token: string): Promise<AuthenticationResult & { expiresAtMs?: number }> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: [this.algorithm],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        requiredClaims: ["sub", "exp"],
      });
      if (payload.type !== "access") return { ok: false, reason: "invalid" };
      // The contract's tokens name no tenant: whoever holds the shared secret acts in the default one.
      const scope: Scope = {
        tenantId: DEFAULT_TENANT_ID,
        principalId: `user:${payload.sub}`,
        principalKind: "jwt",
        principalName: String(payload.sub),
        grants: grantsOf(payload.roles, payload.permissions),
        agentIds: null,
      };
      return { ok: true, scope, expiresAtMs: (payload.exp as number) * 1000 };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? "expired" : "invalid" };
    }
  }
}
