import { hash } from "node:crypto";
import type { Scope } from "./scope.js";

const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * Tokens whose signature was checked, by the SHA-256 of the token (the token itself is never
 * kept), with their expiry. A client sends the same token for its whole lifetime, and a signature
 * check costs tens of microseconds; the expiry is still checked on every request.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { scope: Scope; expiresAtMs: number }>();

  /** The scope of a remembered token, "expired" once it has, undefined when not remembered. */
  recall(digest: string, now: number): Scope | "expired" | undefined {
    const known = this.entries.get(digest);
    if (!known) return undefined;
    if (known.expiresAtMs > now) return known.scope;
    this.entries.delete(digest);
    return "expired";
  }

  remember(digest: string, scope: Scope, expiresAtMs: number): void {
    if (this.entries.size >= MAX_REMEMBERED_TOKENS)
      this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(digest, { scope, expiresAtMs });
  }
}

export const tokenDigest = (token: string) => hash("sha256", token, "hex");
