import { hash, randomInt } from "node:crypto";

const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export const RECOVERY_CODE_COUNT = 10;

const normalise = (code: string) => code.toLowerCase().replace("-", "");
export const digestRecoveryCode = (code: string) => hash("sha256", normalise(code), "hex");

/** Ten fresh single-use codes, `xxxxx-xxxxx`, about 49 bits each; only their digests are stored. */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}
