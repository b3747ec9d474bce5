import type { MasterKey } from "./master-key.js";
import { open, seal } from "./sealed-box.js";
import { contextOf, type SecretLocation, type ValueStore } from "./value-store.js";

/**
 * The default backend: AES-256-GCM ciphertext kept in the runtime's database, written in the same
 * transaction as the version row. See docs/secrets.md for why the database and not a side file.
 */
export class EncryptedStore implements ValueStore {
  readonly type = "encrypted_file" as const;
  /** Sealed inside the write transaction: the version is part of the authenticated context. */
  readonly external = false;

  constructor(private readonly key: MasterKey) {}

  async put(location: SecretLocation, value: string): Promise<string> {
    return seal(this.key.encryptionKey, value, contextOf(location));
  }

  async get(location: SecretLocation, sealed: string): Promise<string> {
    return open(this.key.encryptionKey, sealed, contextOf(location));
  }

  async discard(): Promise<void> {
    // The ciphertext lives in the version row; deleting the row destroys it.
  }
}
