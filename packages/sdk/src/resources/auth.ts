import { grantsAllow, Permission, type RouteBody } from "@symbiont/protocol";
import { SymbiontError } from "../errors.js";
import type { RequestOptions, SessionTokens } from "../options.js";
import { sessionTokensOf, type Transport } from "../transport.js";
import type { Grant, JsonWebKeySet, MeResponse, TotpConfirmResponse, TotpEnrollResponse } from "../types.js";

export interface LoginRequest {
  username: string;
  password: string;
  /** Your organisation's tenant id; `default` when absent. */
  tenant?: string;
  /** The 6 digits of your authenticator app, when the account has a second factor. */
  totpCode?: string;
  /** Instead of totpCode: one of the recovery codes, each good once. */
  recoveryCode?: string;
}

/**
 * Sessions and the signed-in principal. After `login`, the client sends the access token and, on a
 * 401, refreshes the session once by itself and repeats the request.
 */
export class AuthResource {
  readonly #transport: Transport;
  #me: Promise<MeResponse> | undefined;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Logs in and uses the session from now on. Throws AuthenticationError with code TOTP_REQUIRED when a code is needed. */
  async login(request: LoginRequest, options?: RequestOptions): Promise<SessionTokens> {
    const body: RouteBody<"login"> = {
      username: request.username,
      password: request.password,
      ...(request.tenant ? { tenant: request.tenant } : {}),
      ...(request.totpCode ? { totp_code: request.totpCode } : {}),
      ...(request.recoveryCode ? { recovery_code: request.recoveryCode } : {}),
    };
    const response = await this.#transport.route("login", { body }, { ...options, maxRetries: 0 });
    const tokens = sessionTokensOf(response);
    this.#me = undefined;
    this.#transport.useSession(tokens);
    return tokens;
  }

  /** Trades the refresh token for new tokens now (the client also does so by itself on a 401). */
  async refreshToken(options?: RequestOptions): Promise<SessionTokens> {
    return this.#transport.refreshSession(options);
  }

  /** Ends the session on the server; the client then holds no credential. */
  async logout(options?: RequestOptions): Promise<void> {
    await this.#transport.route("logout", {}, { ...options, maxRetries: 0 });
    this.#me = undefined;
    this.#transport.useCredential(undefined);
  }

  /**
   * Uses an access token obtained elsewhere (a JWT from this runtime, or an HS256 token of a v1
   * issuer), checks it with the server, and answers whom it belongs to.
   */
  async authenticateJwt(token: string, options?: RequestOptions): Promise<MeResponse> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
      throw new SymbiontError("authenticateJwt: not a JWT (three base64url parts separated by dots)");
    }
    this.#transport.useCredential(token);
    this.#me = undefined;
    return this.me(options);
  }

  /** Who the credential belongs to: user, tenant, roles and permissions. Remembered until the credential changes. */
  async me(options?: RequestOptions): Promise<MeResponse> {
    this.#me ??= this.#transport.route("me", {}, options).catch((error: unknown) => {
      this.#me = undefined;
      throw error;
    });
    return this.#me;
  }

  async getUserRoles(options?: RequestOptions): Promise<string[]> {
    return (await this.me(options)).roles;
  }

  /**
   * Whether the credential may perform `action` (read, write, delete, execute, admin) on `resource`
   * (agents, keys, audit, users, ...), decided from its permissions as /auth/me reports them.
   */
  async validatePermissions(action: string, resource?: string, options?: RequestOptions): Promise<boolean> {
    const grants = (await this.me(options)).permissions as Grant[];
    if (resource === undefined) return grants.includes("admin") || grants.includes(action as Grant);
    const permission = Permission.safeParse(`${resource}:${action}`);
    if (!permission.success) {
      throw new SymbiontError(
        `validatePermissions: "${resource}:${action}" is no permission; known ones: ${Permission.options.join(", ")}`,
      );
    }
    return grantsAllow(grants, permission.data);
  }

  /** Changes your password; your other sessions end. */
  async changePassword(
    currentPassword: string,
    newPassword: string,
    options?: RequestOptions,
  ): Promise<void> {
    await this.#transport.route(
      "changePassword",
      { body: { current_password: currentPassword, new_password: newPassword } },
      { ...options, maxRetries: 0 },
    );
  }

  /** Starts TOTP enrolment: show the secret or the otpauth URI (as a QR code) to the user. */
  async enrollTotp(options?: RequestOptions): Promise<TotpEnrollResponse> {
    return this.#transport.route("enrollTotp", {}, options);
  }

  /** Confirms enrolment with a current code; answers the recovery codes, shown only this once. */
  async confirmTotp(code: string, options?: RequestOptions): Promise<TotpConfirmResponse> {
    return this.#transport.route("confirmTotp", { body: { code } }, options);
  }

  async disableTotp(password: string, options?: RequestOptions): Promise<void> {
    await this.#transport.route("disableTotp", { body: { password } }, options);
  }

  /** The public keys that verify this runtime's access tokens. */
  async jwks(options?: RequestOptions): Promise<JsonWebKeySet> {
    return this.#transport.route("jwks", {}, options);
  }

  /** Starts signing tokens with a new key (instance admin). */
  async rotateSigningKey(options?: RequestOptions) {
    return this.#transport.route("rotateSigningKey", {}, options);
  }
}
