import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const FORMAT = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Raised when ciphertext does not open: tampered, truncated, moved to another row, or another key. */
export class TamperedSecretError extends Error {
  override readonly name = "TamperedSecretError";
}

/**
 * AES-256-GCM with a fresh random 96-bit nonce per value. `context` is bound as additional
 * authenticated data, so ciphertext copied to another row (tenant, agent, name or version) fails
 * to open instead of yielding another secret's value. Output: `v1.<nonce>.<ciphertext+tag>`, base64url.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${FORMAT}.${nonce.toString("base64url")}.${body.toString("base64url")}`;
}

export function open(key: Buffer, sealed: string, context: string): string {
  const [format, nonceText, bodyText, extra] = sealed.split(".");
  if (format !== FORMAT || nonceText === undefined || bodyText === undefined || extra !== undefined) {
    throw new TamperedSecretError("stored ciphertext is malformed");
  }
  const nonce = Buffer.from(nonceText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw new TamperedSecretError("stored ciphertext is truncated");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new TamperedSecretError("stored ciphertext failed authentication (altered, moved or foreign key)");
  }
}
