import type { PasswordChangeRequest, TotpConfirmResponse, TotpEnrollResponse } from "@symbiont/protocol";
import type { Sealer } from "../secrets/sealer.js";
import { AppError, conflict, fieldError } from "../server/app-error.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { digestRecoveryCode, generateRecoveryCodes } from "./recovery-codes.js";
import type { Scope } from "./scope.js";
import type { SessionRepository } from "./session-repository.js";
import { checkTotp, newTotpSecret, totpContext, totpUri } from "./totp.js";
import type { UserRepository, UserRow } from "./user-repository.js";
import { checkPasswordPolicy } from "./user-service.js";

const TOTP_ISSUER = "Symbiont";

/** What a logged-in user does to their own account: password and second factor. */
export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly sealer: Sealer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async changePassword(scope: Scope, request: PasswordChangeRequest): Promise<{ changed: true }> {
    const user = await this.self(scope);
    if (!(await verifyPassword(user.password_hash, request.current_password)))
      throw fieldError("FORBIDDEN", "body.current_password", "is not your current password");
    checkPasswordPolicy(request.new_password, user.username, "body.new_password");
    const at = this.now().toISOString();
    await this.users.update(scope.tenantId, user.id, {
      password_hash: await hashPassword(request.new_password),
      updated_at: at,
    });
    // Whoever else holds a session on the old password loses it; the caller's own stays.
    await this.sessions.revokeUserSessions(
      scope.tenantId,
      user.id,
      "password_changed",
      at,
      scope.user?.sessionId,
    );
    return { changed: true };
  }

  async enrollTotp(scope: Scope): Promise<TotpEnrollResponse> {
    const user = await this.self(scope);
    if (user.totp_secret !== null) throw conflict("A second factor is enabled already; disable it first");
    const secret = await newTotpSecret();
    await this.users.update(scope.tenantId, user.id, {
      totp_pending_secret: this.sealer.seal(secret, totpContext(scope.tenantId, user.id)),
      updated_at: this.now().toISOString(),
    });
    return { secret, otpauth_uri: await totpUri(secret, `${user.username}@${scope.tenantId}`, TOTP_ISSUER) };
  }

  async confirmTotp(scope: Scope, code: string): Promise<TotpConfirmResponse> {
    const user = await this.self(scope);
    if (user.totp_secret !== null) throw conflict("A second factor is enabled already");
    if (user.totp_pending_secret === null)
      throw conflict("Nothing to confirm: start with POST /auth/totp/enroll");
    const pending = this.sealer.open(user.totp_pending_secret, totpContext(scope.tenantId, user.id));
    const step = await checkTotp(pending, code, null, this.now().getTime() / 1000);
    if (step === null)
      throw fieldError("VALIDATION_FAILED", "body.code", "is not the current code of the enrolled secret");
    const codes = generateRecoveryCodes();
    await this.users.update(scope.tenantId, user.id, {
      totp_secret: user.totp_pending_secret,
      totp_pending_secret: null,
      totp_last_step: step,
      recovery_codes: JSON.stringify(codes.map(digestRecoveryCode)),
      updated_at: this.now().toISOString(),
    });
    return { enabled: true, recovery_codes: codes };
  }

  async disableTotp(scope: Scope, password: string): Promise<{ enabled: false }> {
    const user = await this.self(scope);
    if (!(await verifyPassword(user.password_hash, password)))
      throw fieldError("FORBIDDEN", "body.password", "is not your current password");
    await this.users.update(scope.tenantId, user.id, {
      totp_secret: null,
      totp_pending_secret: null,
      totp_last_step: null,
      recovery_codes: "[]",
      updated_at: this.now().toISOString(),
    });
    return { enabled: false };
  }

  private async self(scope: Scope): Promise<UserRow> {
    if (!scope.user)
      throw new AppError(
        "FORBIDDEN",
        "Only a logged-in user has an account to change; this credential is not one",
      );
    const user = await this.users.findById(scope.tenantId, scope.user.id);
    if (!user) throw new AppError("UNAUTHENTICATED", "Your user no longer exists: log in again");
    return user;
  }
}
