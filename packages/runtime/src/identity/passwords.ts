import type * as Argon2 from "@node-rs/argon2";
import { PASSWORD_MIN_LENGTH } from "@symbiont/protocol";
import { COMMON_PASSWORDS } from "./common-passwords.js";

/** OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane (about 20 ms a hash on this class of machine). */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let argon2: Promise<typeof Argon2> | undefined;
/** Loaded on first use: a runtime that never sees a password should not pay for the addon at start. */
const loadArgon2 = () => {
  argon2 ??= import("@node-rs/argon2");
  return argon2;
};

export async function hashPassword(password: string): Promise<string> {
  // argon2id is the library's default algorithm (its enum is const, so it cannot be named here);
  // the tests check the PHC string says argon2id.
  const { hash } = await loadArgon2();
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await loadArgon2();
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoy: Promise<string> | undefined;
/**
 * Spends what checking a real password would, for a username that does not exist, so that the
 * answer's timing does not tell which usernames do.
 */
export async function verifyDecoyPassword(password: string): Promise<false> {
  decoy ??= hashPassword("decoy password that no account has");
  await verifyPassword(await decoy, password);
  return false;
}

/**
 * The policy beyond length (which the protocol schema checks): not a well-known password, not the
 * username, and not a few characters repeated. Answers what is wrong, or null.
 */
export function passwordPolicyProblem(password: string, username: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) return "is one of the most common passwords; choose another";
  if (username.length >= 3 && lowered.includes(username.toLowerCase()))
    return "must not contain the username";
  if (new Set(lowered).size < 5) return "must use at least 5 different characters";
  return null;
}
