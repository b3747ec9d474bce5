import type { MasterKey } from "./master-key.js";
import { open, seal } from "./sealed-box.js";

/**
 * Encryption at rest for another part of the runtime, under a subkey of the master key for that
 * purpose. `context` names what the value belongs to (bound as additional data), so a value copied
 * to another row does not open.
 */
export class Sealer {
  private readonly key: Buffer;

  constructor(masterKey: MasterKey, purpose: string) {
    this.key = masterKey.subkey(purpose);
  }

  seal(plaintext: string, context: string): string {
    return seal(this.key, plaintext, context);
  }

  /** Throws TamperedSecretError when the value was altered, moved or sealed under another key. */
  open(sealed: string, context: string): string {
    return open(this.key, sealed, context);
  }
}
