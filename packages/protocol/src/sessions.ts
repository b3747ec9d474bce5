import { z } from "zod";
import { TenantId } from "./tenants.js";
import { storableText, Timestamp } from "./text.js";
import { PASSWORD_MAX_LENGTH, UserInfo } from "./users.js";

const TotpCode = z.string().regex(/^[0-9]{6}$/, "must be the 6 digits your authenticator app shows");
const RecoveryCode = z
  .string()
  .regex(/^[a-z0-9]{5}-?[a-z0-9]{5}$/i, "must be one of your recovery codes (xxxxx-xxxxx)");

export const LoginRequest = z.strictObject({
  username: storableText(128, 1),
  password: storableText(PASSWORD_MAX_LENGTH, 1),
  tenant: TenantId.default("default").describe("Your organisation's tenant id"),
  totp_code: TotpCode.nullish().describe("Needed when the user has a second factor"),
  recovery_code: RecoveryCode.nullish().describe("Instead of totp_code, once per code"),
});
export type LoginRequest = z.input<typeof LoginRequest>;

/** What login and refresh answer: a short-lived access token and the next refresh token. */
export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().describe("Seconds the access token is valid"),
  refresh_token: z.string().describe("Use once: each refresh answers a new one"),
  refresh_expires_in: z.number().int(),
  session_id: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const RefreshRequest = z.strictObject({ refresh_token: storableText(4096, 1) });
export type RefreshRequest = z.input<typeof RefreshRequest>;

export const LogoutResponse = z.object({ logged_out: z.literal(true), session_id: z.string() });

export const MeResponse = z.object({
  principal_kind: z.string(),
  principal_id: z.string(),
  user: UserInfo.nullable().describe("The user, when the credential belongs to one"),
  tenant: z.object({ id: z.string(), name: z.string() }),
  roles: z.array(z.string()),
  permissions: z.array(z.string()).describe("The grants the credential holds"),
  agent_ids: z.array(z.string()).nullable(),
  session_id: z.string().nullable(),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const TotpEnrollResponse = z.object({
  secret: z.string().describe("Base32; enter it in an authenticator app, or use the URI"),
  otpauth_uri: z.string(),
});
export type TotpEnrollResponse = z.infer<typeof TotpEnrollResponse>;

export const TotpConfirmRequest = z.strictObject({ code: TotpCode });
export const TotpConfirmResponse = z.object({
  enabled: z.literal(true),
  recovery_codes: z.array(z.string()).describe("Each works once instead of a code. Shown only now"),
});
export type TotpConfirmResponse = z.infer<typeof TotpConfirmResponse>;

export const TotpDisableRequest = z.strictObject({ password: storableText(PASSWORD_MAX_LENGTH, 1) });
export const TotpDisabledResponse = z.object({ enabled: z.literal(false) });

export const PasswordChangedResponse = z.object({ changed: z.literal(true) });

/** A JSON Web Key Set of the public keys that sign access tokens (RFC 7517). */
export const JsonWebKeySet = z.object({
  keys: z.array(z.record(z.string(), z.unknown())),
});
export type JsonWebKeySet = z.infer<typeof JsonWebKeySet>;

export const SigningKeyRotatedResponse = z.object({
  kid: z.string().describe("The key that signs from now on"),
  algorithm: z.string(),
  retired: z.array(z.string()).describe("Keys that stop signing but still verify until their tokens expire"),
  rotated_at: Timestamp,
});
