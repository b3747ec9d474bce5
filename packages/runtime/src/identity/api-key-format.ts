import { hash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API keys read `sym_<id>_<secret>`: the id finds the row, the secret proves possession. The id is
 * lower-case alphanumeric, so the first `_` after the prefix ends it even though base64url secrets
 * may contain `_` themselves.
 */
export const API_KEY_PREFIX = "sym_";

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function newKeyId(): string {
  return randomBytes(9).toString("hex");
}

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}_${secret}`;
}

export function generateApiKey(id = newKeyId()): { id: string; secret: string; key: string } {
  const secret = randomBytes(32).toString("base64url");
  return { id, secret, key: formatApiKey(id, secret) };
}

export function parseApiKey(token: string): ParsedApiKey | null {
  if (!token.startsWith(API_KEY_PREFIX)) return null;
  const rest = token.slice(API_KEY_PREFIX.length);
  const separator = rest.indexOf("_");
  if (separator <= 0) return null;
  const id = rest.slice(0, separator);
  const secret = rest.slice(separator + 1);
  if (!/^[a-z0-9]{1,64}$/.test(id) || secret.length < 16 || secret.length > 256) return null;
  return { id, secret };
}

/** Keys carry 256 random bits, so a fast hash is enough; a slow KDF would only tax every request. */
export function digestSecret(secret: string): Buffer {
  return hash("sha256", secret, "buffer") as Buffer;
}

/** The stored form of a secret: its SHA-256 digest in hex. */
export function hashSecret(secret: string): string {
  return digestSecret(secret).toString("hex");
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(secret: string, expectedDigest: Buffer): boolean {
  const actual = digestSecret(secret);
  return actual.length === expectedDigest.length && timingSafeEqual(actual, expectedDigest);
}
