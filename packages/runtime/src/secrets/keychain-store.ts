import { BackendFailure, type SecretLocation, type ValueStore } from "./value-store.js";

type AsyncEntryClass = typeof import("@napi-rs/keyring").AsyncEntry;

const SERVICE = "symbiont";

/** Unique per write: the store is written before the version number is known. */
const accountOf = (location: SecretLocation) =>
  JSON.stringify([location.tenantId, location.agentId, location.name, crypto.randomUUID()]);

function keychainFailure(error: unknown): BackendFailure {
  const message = (error as Error).message ?? String(error);
  if (/AccessDenied|platform storage|No such interface|org\.freedesktop|dbus/i.test(message)) {
    return new BackendFailure(
      `No OS keychain service is reachable on this host (${message}). On a headless server use the encrypted_file or vault backend; on Linux desktops the Secret Service (GNOME Keyring, KWallet) must be running.`,
    );
  }
  return new BackendFailure(`The OS keychain failed: ${message}`);
}

/**
 * Values in the OS keychain (macOS Keychain, Windows Credential Manager, Linux Secret Service),
 * one entry per version; the database keeps only the entry's account name.
 */
export class KeychainStore implements ValueStore {
  readonly type = "os_keychain" as const;
  readonly external = true;

  private constructor(private readonly Entry: AsyncEntryClass) {}

  /** Loads the native module only when the keychain is used. */
  static async load(): Promise<KeychainStore> {
    try {
      const { AsyncEntry } = await import("@napi-rs/keyring");
      return new KeychainStore(AsyncEntry);
    } catch (error) {
      throw new BackendFailure(`The OS keychain module could not be loaded: ${(error as Error).message}`);
    }
  }

  /** Writes and removes a throwaway entry, so configuration fails where no keychain service exists. */
  async probe(): Promise<void> {
    const entry = new this.Entry(SERVICE, `probe-${crypto.randomUUID()}`);
    try {
      await entry.setPassword("probe");
      await entry.deleteCredential();
    } catch (error) {
      throw keychainFailure(error);
    }
  }

  async put(location: SecretLocation, value: string): Promise<string> {
    const account = accountOf(location);
    try {
      await new this.Entry(SERVICE, account).setPassword(value);
    } catch (error) {
      throw keychainFailure(error);
    }
    return account;
  }

  async get(_location: SecretLocation, account: string): Promise<string> {
    let value: string | null;
    try {
      value = await new this.Entry(SERVICE, account).getPassword();
    } catch (error) {
      throw keychainFailure(error);
    }
    if (value === null) throw new BackendFailure("the keychain entry of this version is gone");
    return value;
  }

  async discard(_location: SecretLocation, accounts: readonly string[]): Promise<void> {
    for (const account of accounts) {
      try {
        await new this.Entry(SERVICE, account).deleteCredential();
      } catch (error) {
        throw keychainFailure(error);
      }
    }
  }
}
