import type { Grant } from "@symbiont/protocol";
import type { ChangeVersion } from "../store/change-version.js";
import { VersionedCache } from "../store/versioned-cache.js";
import type { AuthenticationResult } from "./authenticator.js";
import { parseGrants } from "./grants.js";
import type { Scope } from "./scope.js";
import type { SessionRepository } from "./session-repository.js";
import type { AccessClaims, SessionTokens } from "./session-tokens.js";
import { tokenDigest, VerifiedTokens } from "./verified-tokens.js";

export function userScopeOf(claims: AccessClaims): Scope {
  return Object.freeze({
    tenantId: claims.tenantId,
    principalId: `user:${claims.userId}`,
    principalKind: "user",
    principalName: claims.username,
    grants: parseGrants(JSON.stringify(claims.permissions)) as ReadonlySet<Grant>,
    agentIds: null,
    user: Object.freeze({
      id: claims.userId,
      sessionId: claims.sessionId,
      roles: Object.freeze([...claims.roles]),
    }),
  });
}

/** Whether a session may still act: not revoked (logout, reuse, user changed) and not past its end. */
type SessionState = { live: true } | { live: false };

/**
 * The runtime's own access tokens. A valid signature is not enough: the token's session must still
 * be live, so logout, a detected refresh-token reuse or a disabled user stop its tokens at once,
 * not when they expire.
 */
export class AccessTokenAuthenticator {
  private readonly verified = new VerifiedTokens();
  private readonly sessionStates: VersionedCache<string, SessionState>;

  constructor(
    private readonly tokens: SessionTokens,
    private readonly sessions: SessionRepository,
    changeVersion: ChangeVersion | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.sessionStates = new VersionedCache(changeVersion, 10_000);
  }

  /** The answer for a token verified before, by its digest; undefined when it never was. */
  recall(digest: string): AuthenticationResult | Promise<AuthenticationResult> | undefined {
    const known = this.verified.recall(digest, this.now());
    if (known === "expired") return { ok: false, reason: "expired" };
    return known ? this.checkSession(known) : undefined;
  }

  authenticate(
    token: string,
    digest = tokenDigest(token),
  ): AuthenticationResult | Promise<AuthenticationResult> {
    const recalled = this.recall(digest);
    if (recalled) return recalled;
    return this.tokens.verifyAccess(token).then((verified) => {
      if (!verified.ok) return { ok: false, reason: verified.reason };
      const scope = userScopeOf(verified.claims);
      this.verified.remember(digest, scope, verified.expiresAtMs);
      return this.checkSession(scope);
    });
  }

  private checkSession(scope: Scope): AuthenticationResult | Promise<AuthenticationResult> {
    const sessionId = scope.user?.sessionId as string;
    const state = this.sessionStates.read(sessionId, () => this.loadState(sessionId, scope.tenantId));
    const decide = (settled: SessionState): AuthenticationResult =>
      settled.live ? { ok: true, scope } : { ok: false, reason: "revoked", subject: scope };
    return state instanceof Promise ? state.then(decide) : decide(state);
  }

  private async loadState(sessionId: string, tenantId: string): Promise<SessionState> {
    const session = await this.sessions.findSession(sessionId);
    const live =
      session !== undefined &&
      session.tenant_id === tenantId &&
      session.revoked_at === null &&
      Date.parse(session.expires_at) > this.now();
    return { live };
  }
}
