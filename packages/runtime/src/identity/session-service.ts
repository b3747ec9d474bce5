import { randomUUID } from "node:crypto";
import type { LoginRequest, MeResponse, TokenResponse } from "@symbiont/protocol";
import type { Kysely } from "kysely";
import type { AuditActor, AuditTrail } from "../audit/audit-trail.js";
import type { Sealer } from "../secrets/sealer.js";
import { AppError, fieldError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import type { Database } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import { verifyDecoyPassword, verifyPassword } from "./passwords.js";
import { digestRecoveryCode } from "./recovery-codes.js";
import type { RoleService } from "./role-service.js";
import type { Scope } from "./scope.js";
import type { SessionRepository } from "./session-repository.js";
import type { SessionTokens } from "./session-tokens.js";
import type { TenantRepository } from "./tenant-repository.js";
import { checkTotp, totpContext } from "./totp.js";
import { userInfoOf } from "./user-info.js";
import type { UserRepository, UserRow } from "./user-repository.js";

export interface RequestContext {
  requestId: string;
  sourceIp: string;
  userAgent: string;
}

export interface SessionSettings {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  sessionMaxAgeSeconds: number;
  /** Failed logins in a row before the account locks; each further failure doubles the lock. */
  lockoutThreshold: number;
}

const FIRST_LOCK_MS = 60_000;
const LONGEST_LOCK_MS = 60 * 60_000;

const badLogin = () => new AppError("UNAUTHENTICATED", "Invalid username or password");

export const userActor = (tenantId: string, user: Pick<UserRow, "id" | "username">): AuditActor => ({
  tenantId,
  id: `user:${user.id}`,
  kind: "user",
  name: user.username,
});

/** How long the account locks after `failures` failures in a row, or 0 while under the threshold. */
export function lockDurationMs(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** (failures - threshold), LONGEST_LOCK_MS);
}

type RefreshOutcome =
  | { kind: "ok"; user: UserRow; sessionId: string; tokenId: string; refreshExpiresAt: number }
  | { kind: "reused" | "ended"; user: UserRow | undefined; sessionId: string }
  | { kind: "unknown" };

/**
 * Logging in, refreshing and logging out. A session is one login; each refresh spends the refresh
 * token it got and answers the next one. A spent token presented again means it was stolen (or the
 * thief was first): the whole session ends and the event is audited.
 */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly users: UserRepository,
    private readonly tenants: TenantRepository,
    private readonly roles: RoleService,
    private readonly sessions: SessionRepository,
    private readonly tokens: SessionTokens,
    private readonly audit: AuditTrail,
    private readonly settings: () => SessionSettings,
    private readonly sealer: Sealer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async login(request: LoginRequest & { tenant: string }, context: RequestContext): Promise<TokenResponse> {
    const tenantId = request.tenant;
    const tenant = await this.tenants.find(tenantId);
    const user = tenant ? await this.users.findByUsername(tenantId, request.username) : undefined;
    if (!user) {
      await verifyDecoyPassword(request.password);
      await this.record(
        context,
        {
          tenantId: tenant ? tenantId : DEFAULT_TENANT_ID,
          id: "anonymous",
          kind: "anonymous",
          name: request.username.slice(0, 128),
        },
        "login",
        401,
        { reason: tenant ? "unknown_user" : "unknown_tenant", tenant: tenantId },
      );
      throw badLogin();
    }
    const actor = userActor(tenantId, user);
    const nowMs = this.now().getTime();
    if (user.locked_until && Date.parse(user.locked_until) > nowMs) {
      const retryAfter = Math.ceil((Date.parse(user.locked_until) - nowMs) / 1000);
      await this.record(context, actor, "login", 429, { reason: "locked" });
      throw new AppError(
        "ACCOUNT_LOCKED",
        `Too many failed logins: this account is locked for ${retryAfter} s more (an admin can unlock it)`,
        { retry_after_seconds: retryAfter },
        { "retry-after": String(retryAfter) },
      );
    }
    if (!(await verifyPassword(user.password_hash, request.password))) {
      await this.failLogin(user, actor, context, "bad_password");
      throw badLogin();
    }
    if (Number(user.disabled) === 1) {
      await this.record(context, actor, "login", 401, { reason: "disabled" });
      throw badLogin();
    }
    const totpStep = await this.checkSecondFactor(user, request, actor, context);

    const session = await this.startSession(user, context, totpStep);
    await this.record(context, actor, "login", 200, { session_id: session.sessionId });
    return this.issue(user, session.sessionId, session.tokenId, session.refreshExpiresAt);
  }

  async refresh(refreshToken: string, context: RequestContext): Promise<TokenResponse> {
    const verified = await this.tokens.verifyRefresh(refreshToken);
    if (!verified.ok) {
      throw new AppError(
        verified.reason === "expired" ? "TOKEN_EXPIRED" : "UNAUTHENTICATED",
        verified.reason === "expired"
          ? "Refresh token expired: log in again"
          : "Invalid refresh token: log in again",
      );
    }
    const { claims } = verified;
    const outcome = await this.spendRefreshToken(claims.tenantId, claims.sessionId, claims.tokenId);
    if (outcome.kind === "ok") {
      return this.issue(outcome.user, outcome.sessionId, outcome.tokenId, outcome.refreshExpiresAt);
    }
    if (outcome.kind === "reused" && outcome.user) {
      await this.record(context, userActor(claims.tenantId, outcome.user), "refresh_token_reuse", 401, {
        session_id: outcome.sessionId,
        refresh_token_id: claims.tokenId,
      });
    }
    throw new AppError(
      "UNAUTHENTICATED",
      outcome.kind === "reused"
        ? "This refresh token was already used, so the session has been ended: log in again"
        : "This session has ended: log in again",
    );
  }

  async logout(scope: Scope): Promise<{ logged_out: true; session_id: string }> {
    const sessionId = scope.user?.sessionId;
    if (!sessionId) {
      throw fieldError(
        "VALIDATION_FAILED",
        "header.authorization",
        "this credential is not a login session; API keys are revoked with `symbiont keys revoke`",
      );
    }
    await this.sessions.revokeSession(sessionId, "logout", this.now().toISOString());
    return { logged_out: true, session_id: sessionId };
  }

  async me(scope: Scope): Promise<MeResponse> {
    const tenant = await this.tenants.find(scope.tenantId);
    const user = scope.user ? await this.users.findById(scope.tenantId, scope.user.id) : undefined;
    return {
      principal_kind: scope.principalKind,
      principal_id: scope.principalId,
      user: user ? userInfoOf(user, this.now().getTime()) : null,
      tenant: { id: scope.tenantId, name: tenant?.name ?? scope.tenantId },
      roles: [...(scope.user?.roles ?? [])],
      permissions: [...scope.grants].sort(),
      agent_ids: scope.agentIds === null ? null : [...scope.agentIds].sort(),
      session_id: scope.user?.sessionId ?? null,
    };
  }

  /** Ends every session of a user but, optionally, one. */
  async endUserSessions(tenantId: string, userId: string, reason: string, except?: string): Promise<void> {
    await this.sessions.revokeUserSessions(tenantId, userId, reason, this.now().toISOString(), except);
  }

  private async checkSecondFactor(
    user: UserRow,
    request: LoginRequest,
    actor: AuditActor,
    context: RequestContext,
  ): Promise<number | null> {
    if (user.totp_secret === null) return null;
    if (request.totp_code) {
      const lastStep = user.totp_last_step === null ? null : Number(user.totp_last_step);
      const step = await checkTotp(
        this.sealer.open(user.totp_secret, totpContext(user.tenant_id, user.id)),
        request.totp_code,
        lastStep,
        this.now().getTime() / 1000,
      );
      if (step !== null) return step;
      await this.failLogin(user, actor, context, "bad_totp_code");
      throw new AppError("UNAUTHENTICATED", "Invalid or already used authentication code");
    }
    if (request.recovery_code) {
      const digest = digestRecoveryCode(request.recovery_code);
      const spent = await withWriteLock(this.store, `user:${user.tenant_id}:${user.id}`, async (trx) => {
        const current = await this.users.findById(user.tenant_id, user.id, trx);
        const codes = JSON.parse(current?.recovery_codes ?? "[]") as string[];
        if (!codes.includes(digest)) return false;
        await this.users.update(
          user.tenant_id,
          user.id,
          { recovery_codes: JSON.stringify(codes.filter((code) => code !== digest)) },
          trx,
        );
        return true;
      });
      if (spent) {
        await this.record(context, actor, "recovery_code_used", 200, {});
        return null;
      }
      await this.failLogin(user, actor, context, "bad_recovery_code");
      throw new AppError("UNAUTHENTICATED", "Invalid or already used recovery code");
    }
    throw new AppError(
      "TOTP_REQUIRED",
      "This account has a second factor: send totp_code (or a recovery_code) with the password",
      { issues: [{ field: "body.totp_code", message: "required for this account" }] },
    );
  }

  private async failLogin(user: UserRow, actor: AuditActor, context: RequestContext, reason: string) {
    const { lockoutThreshold } = this.settings();
    const lockedUntil = await withWriteLock(this.store, `user:${user.tenant_id}:${user.id}`, async (trx) => {
      const failures = await this.users.countFailedLogin(user.tenant_id, user.id, trx);
      const lockMs = lockDurationMs(failures, lockoutThreshold);
      if (lockMs === 0) return null;
      const until = new Date(this.now().getTime() + lockMs).toISOString();
      await this.users.update(user.tenant_id, user.id, { locked_until: until }, trx);
      return until;
    });
    await this.record(context, actor, "login", 401, {
      reason,
      ...(lockedUntil ? { locked_until: lockedUntil } : {}),
    });
  }

  private async startSession(user: UserRow, context: RequestContext, totpStep: number | null) {
    const now = this.now();
    const { refreshTtlSeconds, sessionMaxAgeSeconds } = this.settings();
    const sessionId = randomUUID();
    const tokenId = randomUUID();
    const sessionEnds = now.getTime() + sessionMaxAgeSeconds * 1000;
    const refreshExpiresAt = Math.min(now.getTime() + refreshTtlSeconds * 1000, sessionEnds);
    await withWriteLock(this.store, `user:${user.tenant_id}:${user.id}`, async (trx) => {
      await this.users.update(
        user.tenant_id,
        user.id,
        {
          failed_logins: 0,
          locked_until: null,
          last_login_at: now.toISOString(),
          ...(totpStep === null ? {} : { totp_last_step: totpStep }),
        },
        trx,
      );
      await this.sessions.insertSession(
        {
          id: sessionId,
          tenant_id: user.tenant_id,
          user_id: user.id,
          created_at: now.toISOString(),
          expires_at: new Date(sessionEnds).toISOString(),
          last_refreshed_at: null,
          revoked_at: null,
          revoked_reason: null,
          source_ip: context.sourceIp,
          user_agent: context.userAgent.slice(0, 512),
        },
        trx,
      );
      await this.sessions.insertRefreshToken(
        {
          id: tokenId,
          session_id: sessionId,
          created_at: now.toISOString(),
          expires_at: new Date(refreshExpiresAt).toISOString(),
          used_at: null,
        },
        trx,
      );
    });
    return { sessionId, tokenId, refreshExpiresAt };
  }

  private spendRefreshToken(tenantId: string, sessionId: string, tokenId: string): Promise<RefreshOutcome> {
    const now = this.now();
    // Everything returns rather than throws: a reuse must commit the session's end.
    return withWriteLock(this.store, `session:${sessionId}`, async (trx: Kysely<Database>) => {
      const token = await this.sessions.findRefreshToken(tokenId, trx);
      const session = await this.sessions.findSession(sessionId, trx);
      if (!token || !session || token.session_id !== session.id || session.tenant_id !== tenantId)
        return { kind: "unknown" };
      const user = await this.users.findById(session.tenant_id, session.user_id, trx);
      if (token.used_at !== null) {
        await this.sessions.revokeSession(session.id, "refresh_token_reuse", now.toISOString(), trx);
        return { kind: "reused", user, sessionId };
      }
      if (
        session.revoked_at !== null ||
        Date.parse(session.expires_at) <= now.getTime() ||
        !user ||
        Number(user.disabled) === 1
      ) {
        return { kind: "ended", user, sessionId };
      }
      if (!(await this.sessions.markUsed(token.id, now.toISOString(), trx))) {
        await this.sessions.revokeSession(session.id, "refresh_token_reuse", now.toISOString(), trx);
        return { kind: "reused", user, sessionId };
      }
      const nextId = randomUUID();
      const refreshExpiresAt = Math.min(
        now.getTime() + this.settings().refreshTtlSeconds * 1000,
        Date.parse(session.expires_at),
      );
      await this.sessions.insertRefreshToken(
        {
          id: nextId,
          session_id: session.id,
          created_at: now.toISOString(),
          expires_at: new Date(refreshExpiresAt).toISOString(),
          used_at: null,
        },
        trx,
      );
      await this.sessions.touchSession(session.id, now.toISOString(), trx);
      return { kind: "ok", user, sessionId, tokenId: nextId, refreshExpiresAt };
    });
  }

  /** Tokens carry the grants the user's roles confer now, so a refresh picks up role changes. */
  private async issue(
    user: UserRow,
    sessionId: string,
    tokenId: string,
    refreshExpiresAt: number,
  ): Promise<TokenResponse> {
    const roles = JSON.parse(user.roles) as string[];
    const { grants } = await this.roles.resolve(user.tenant_id, roles);
    const access = await this.tokens.issueAccess({
      userId: user.id,
      username: user.username,
      tenantId: user.tenant_id,
      sessionId,
      roles,
      permissions: [...grants].sort(),
    });
    const refreshExpiresIn = Math.max(1, Math.floor((refreshExpiresAt - this.now().getTime()) / 1000));
    const refresh = await this.tokens.issueRefresh(
      { userId: user.id, tenantId: user.tenant_id, sessionId, tokenId },
      refreshExpiresIn,
    );
    return {
      access_token: access.token,
      token_type: "Bearer",
      expires_in: access.expiresIn,
      refresh_token: refresh,
      refresh_expires_in: refreshExpiresIn,
      session_id: sessionId,
    };
  }

  private record(
    context: RequestContext,
    actor: AuditActor,
    action: string,
    status: number,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record({
      actor,
      action,
      target: { type: "session", id: typeof details.session_id === "string" ? details.session_id : null },
      status,
      requestId: context.requestId,
      sourceIp: context.sourceIp,
      details,
    });
  }
}
