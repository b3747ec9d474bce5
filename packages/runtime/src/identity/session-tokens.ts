import { randomUUID } from "node:crypto";
import type * as Jose from "jose";
import { JWT_AUDIENCE, JWT_ISSUER } from "./jwt-claims.js";
import { SIGNING_ALGORITHM, type SigningKeys } from "./signing-keys.js";

export type TokenType = "access" | "refresh";

/** What an access token says about its holder. */
export interface AccessClaims {
  userId: string;
  username: string;
  tenantId: string;
  sessionId: string;
  roles: readonly string[];
  permissions: readonly string[];
}

export interface RefreshClaims {
  userId: string;
  tenantId: string;
  sessionId: string;
  /** The refresh token's own id: its row in refresh_tokens. */
  tokenId: string;
}

export type Verified<T> =
  | { ok: true; claims: T; expiresAtMs: number }
  | { ok: false; reason: "invalid" | "expired" };

let jose: Promise<typeof Jose> | undefined;
const loadJose = () => {
  jose ??= import("jose");
  return jose;
};

/** The kid and alg of a token's header, read without trusting anything else in it. */
export function tokenHeader(token: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8"));
    return header !== null && typeof header === "object" ? header : undefined;
  } catch {
    return undefined;
  }
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;

/**
 * Issues and verifies the runtime's own tokens: EdDSA-signed JWTs with iss, aud, sub, tenant, roles,
 * permissions, jti, iat, exp and type. Only EdDSA with a known kid verifies, so "none", HMAC
 * tokens forged with the public key (algorithm confusion) and tokens of unknown keys all fail.
 */
export class SessionTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly ttlSeconds: () => { access: number; refresh: number },
    private readonly now: () => number = Date.now,
  ) {}

  async issueAccess(claims: AccessClaims): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = this.ttlSeconds().access;
    const token = await this.sign(
      {
        type: "access",
        tenant: claims.tenantId,
        sid: claims.sessionId,
        name: claims.username,
        roles: [...claims.roles],
        permissions: [...claims.permissions],
      },
      claims.userId,
      randomUUID(),
      expiresIn,
    );
    return { token, expiresIn };
  }

  async issueRefresh(claims: RefreshClaims, expiresIn: number): Promise<string> {
    return this.sign(
      { type: "refresh", tenant: claims.tenantId, sid: claims.sessionId },
      claims.userId,
      claims.tokenId,
      expiresIn,
    );
  }

  async verifyAccess(token: string): Promise<Verified<AccessClaims>> {
    const verified = await this.verify(token, "access");
    if (!verified.ok) return verified;
    const { payload } = verified;
    const roles = stringList(payload.roles);
    const permissions = stringList(payload.permissions);
    if (!roles || !permissions || typeof payload.name !== "string") return { ok: false, reason: "invalid" };
    return {
      ok: true,
      expiresAtMs: verified.expiresAtMs,
      claims: {
        userId: payload.sub as string,
        username: payload.name,
        tenantId: payload.tenant as string,
        sessionId: payload.sid as string,
        roles,
        permissions,
      },
    };
  }

  async verifyRefresh(token: string): Promise<Verified<RefreshClaims>> {
    const verified = await this.verify(token, "refresh");
    if (!verified.ok) return verified;
    const { payload } = verified;
    return {
      ok: true,
      expiresAtMs: verified.expiresAtMs,
      claims: {
        userId: payload.sub as string,
        tenantId: payload.tenant as string,
        sessionId: payload.sid as string,
        tokenId: payload.jti as string,
      },
    };
  }

  private async sign(
    claims: Record<string, unknown>,
    subject: string,
    tokenId: string,
    expiresIn: number,
  ): Promise<string> {
    const { SignJWT } = await loadJose();
    const key = await this.keys.active();
    const issuedAt = Math.floor(this.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: "JWT" })
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setSubject(subject)
      .setJti(tokenId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + expiresIn)
      .sign(key.privateKey);
  }

  private async verify(
    token: string,
    type: TokenType,
  ): Promise<
    { ok: true; payload: Jose.JWTPayload; expiresAtMs: number } | { ok: false; reason: "invalid" | "expired" }
  > {
    const header = tokenHeader(token);
    if (header?.alg !== SIGNING_ALGORITHM || typeof header.kid !== "string")
      return { ok: false, reason: "invalid" };
    const key = await this.keys.forVerification(header.kid);
    if (!key) return { ok: false, reason: "invalid" };
    const { jwtVerify, errors } = await loadJose();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        requiredClaims: ["sub", "exp", "iat", "jti", "tenant", "sid", "type"],
        currentDate: new Date(this.now()),
      });
      if (payload.type !== type || typeof payload.tenant !== "string" || typeof payload.sid !== "string")
        return { ok: false, reason: "invalid" };
      return { ok: true, payload, expiresAtMs: (payload.exp as number) * 1000 };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? "expired" : "invalid" };
    }
  }
}
