import { createHmac } from "node:crypto";
import type { MasterKey } from "./master-key.js";
import { open, seal } from "./sealed-box.js";

/**
 * Encryption at rest for another part of the runtime, under a subkey of the master key for that
 * purpose. `context` names what the value belongs to (bound as additional data), so a value copied
 * to another row does not open.
 */
export class Sealer {
  private readonly key: Buffer;
  private readonly digestKey: Buffer;

  constructor(masterKey: MasterKey, purpose: string) {
    this.key = masterKey.subkey(purpose);
    this.digestKey = masterKey.subkey(`${purpose}:digest`);
  }

  /**
   * HMAC-SHA256 under a subkey of its own: equal inputs give equal digests (so they can be indexed
   * and matched), and nobody without the master key can tell what they are digests of.
   */
  digest(text: string): Buffer {
    return createHmac("sha256", this.digestKey).update(text, "utf8").digest();
  }

  seal(plaintext: string, context: string): string {
    return seal(this.key, plaintext, context);
  }

  /** Throws TamperedSecretError when the value was altered, moved or sealed under another key. */
  open(sealed: string, context: string): string {
    return open(this.key, sealed, context);
  }
}
