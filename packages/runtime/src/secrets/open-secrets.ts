import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import type { Store } from "../store/database.js";
import { EncryptedStore } from "./encrypted-store.js";
import { KeychainStore } from "./keychain-store.js";
import { resolveMasterKey } from "./master-key.js";
import { Sealer } from "./sealer.js";
import { SecretBackends } from "./secret-backends.js";
import { SecretRepository } from "./secret-repository.js";
import { SecretResolver } from "./secret-resolver.js";
import { SecretService } from "./secret-service.js";

export interface Secrets {
  service: SecretService;
  resolver: SecretResolver;
  /** Encryption at rest for other domains, each under a master-key subkey of its own. */
  sealer(purpose: string): Sealer;
  /** The master key's encryption subkey, for other stores that seal with it (tool signing keys). */
  encryptionKey: Buffer;
}

export const DEFAULT_MASTER_KEY_FILE = "master.key";

/**
 * Loads the master key (creating the key file on the very first start) and checks it against the
 * database before anything else is served: a wrong key stops the start with a clear message.
 */
export async function openSecrets(
  store: Store,
  config: () => Config,
  log: Logger,
  audit: AuditTrail,
): Promise<Secrets> {
  const initial = config();
  const repository = new SecretRepository(store);
  const masterKeyFile = resolve(initial.dataDir, initial.masterKeyFile ?? DEFAULT_MASTER_KEY_FILE);
  if (initial.masterKey === undefined) mkdirSync(dirname(masterKeyFile), { recursive: true, mode: 0o700 });
  const source = { masterKey: initial.masterKey, masterKeyFile };
  let { key, record } = await resolveMasterKey(source, await repository.keyCheck());
  const saved = await repository.saveKeyCheck(record, new Date().toISOString());
  if (saved.check !== record.check) {
    // Another node recorded its check between our read and our write (with a passphrase, under its
    // own salt): ours must match that one, or the start fails like any wrong key.
    ({ key, record } = await resolveMasterKey(source, saved));
  }
  const backends = new SecretBackends(repository, key, new EncryptedStore(key), {
    keychain: () => KeychainStore.load(),
    vaultTimeoutMs: initial.secretsVaultTimeoutMs,
    kubernetesTokenPath: initial.secretsKubernetesTokenPath,
  });
  const service = new SecretService(repository, backends, audit, log, () => ({
    keepVersions: config().secretsKeepVersions,
    rotationGraceSeconds: config().secretsRotationGraceSeconds,
  }));
  return {
    service,
    resolver: new SecretResolver(service, backends),
    sealer: (purpose) => new Sealer(key, purpose),
    encryptionKey: key.encryptionKey,
  };
}
