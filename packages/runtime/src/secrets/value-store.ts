import type { SecretBackendType } from "@symbiont/protocol";

/** Which value a backend holds: one version of one secret of one tenant. */
export interface SecretLocation {
  tenantId: string;
  agentId: string;
  name: string;
  version: number;
}

/**
 * Where secret values live. `put` returns what the database row keeps for the value: ciphertext
 * for the encrypted store, a reference for Vault and the keychain. Metadata and versions always
 * live in the database, so every backend gets the same scoping, listing and rotation.
 */
export interface ValueStore {
  readonly type: SecretBackendType;
  /**
   * Stores outside the database (Vault, the keychain) are written before the version number is
   * known, so that no network call happens while the database's write lock is held; they get
   * version 0 in `put` and must not depend on it.
   */
  readonly external: boolean;
  put(location: SecretLocation, value: string): Promise<string>;
  get(location: SecretLocation, sealed: string): Promise<string>;
  /** Removes stored versions; `wholeSecret` when the secret itself is being deleted. */
  discard(location: SecretLocation, sealed: readonly string[], wholeSecret: boolean): Promise<void>;
}

/** Binds a value to its row; JSON so that no name can be crafted to look like another row's context. */
export const contextOf = (location: SecretLocation): string =>
  JSON.stringify(["symbiont-secret", location.tenantId, location.agentId, location.name, location.version]);

/** A backend failure told without the value: what the backend said, for the operator. */
export class BackendFailure extends Error {
  override readonly name = "BackendFailure";
}
