import type { SecretBackendConfig, SecretBackendType, VaultConfig } from "@symbiont/protocol";
import { AppError, validationFailed } from "../server/app-error.js";
import type { EncryptedStore } from "./encrypted-store.js";
import type { MasterKey } from "./master-key.js";
import { open, seal } from "./sealed-box.js";
import type { SecretRepository } from "./secret-repository.js";
import type { ValueStore } from "./value-store.js";
import { type VaultAuth, VaultClient, VaultError } from "./vault-client.js";
import { VaultStore } from "./vault-store.js";

export interface BackendOptions {
  /** Builds the OS keychain store; it throws a clear error where the host has no keychain service. */
  keychain: () => Promise<ValueStore & { probe(): Promise<void> }>;
  vaultTimeoutMs: number;
  kubernetesTokenPath: string;
}

const vaultContext = (tenantId: string) => JSON.stringify(["symbiont-vault-config", tenantId]);

function fieldError(field: string, message: string): AppError {
  return validationFailed([{ field, message }]);
}

function vaultAuthOf(config: VaultConfig, defaultJwtPath: string): VaultAuth {
  const need = (value: string | null | undefined, field: string): string => {
    if (!value)
      throw fieldError(`body.vault_config.${field}`, `is required for auth_method ${config.auth_method}`);
    return value;
  };
  switch (config.auth_method) {
    case "token":
      return { method: "token", token: need(config.token, "token") };
    case "approle":
      return {
        method: "approle",
        roleId: need(config.role_id, "role_id"),
        secretId: need(config.secret_id, "secret_id"),
        mount: config.auth_mount ?? "approle",
      };
    case "kubernetes":
      return {
        method: "kubernetes",
        role: need(config.kubernetes_role, "kubernetes_role"),
        jwtPath: config.kubernetes_token_path ?? defaultJwtPath,
        mount: config.auth_mount ?? "kubernetes",
      };
    case "aws_iam":
      throw fieldError(
        "body.vault_config.auth_method",
        "aws_iam is not supported by this runtime; use token, approle or kubernetes",
      );
  }
}

/**
 * Which store holds a tenant's values. New writes go to the tenant's configured backend (the
 * encrypted store by default); reads go to the backend each version was written to, so changing
 * backends never strands existing secrets.
 */
export class SecretBackends {
  private readonly vaults = new Map<string, { updatedAt: string; store: VaultStore }>();

  constructor(
    private readonly repository: SecretRepository,
    private readonly key: MasterKey,
    private readonly encrypted: EncryptedStore,
    private readonly options: BackendOptions,
  ) {}

  async configure(tenantId: string, config: SecretBackendConfig, at: string): Promise<void> {
    const existing = await this.repository.backendOf(tenantId);
    let vaultConfig = existing?.vault_config ?? null;
    switch (config.backend_type) {
      case "encrypted_file":
        // The location and key are the operator's (dataDir, SYMBIONT_MASTER_KEY): an API caller
        // must not pick files on the server or hand keys over the wire.
        if (config.file_path != null)
          throw fieldError("body.file_path", "is set by the operator (the runtime's database); send null");
        if (config.encryption_key != null)
          throw fieldError("body.encryption_key", "is set by the operator (SYMBIONT_MASTER_KEY); send null");
        break;
      case "vault": {
        if (!config.vault_config) throw fieldError("body.vault_config", "is required for backend_type vault");
        const store = this.vaultStoreOf(config.vault_config);
        try {
          await store.client.verify();
        } catch (error) {
          if (!(error instanceof VaultError)) throw error;
          throw fieldError("body.vault_config", `could not authenticate to Vault: ${error.message}`);
        }
        vaultConfig = seal(
          this.key.encryptionKey,
          JSON.stringify(config.vault_config),
          vaultContext(tenantId),
        );
        this.vaults.set(tenantId, { updatedAt: at, store });
        break;
      }
      case "os_keychain": {
        const keychain = await this.options.keychain().catch((error: Error) => {
          throw fieldError("body.backend_type", error.message);
        });
        await keychain.probe().catch((error: Error) => {
          throw fieldError("body.backend_type", error.message);
        });
        break;
      }
    }
    await this.repository.saveBackend({
      tenant_id: tenantId,
      backend_type: config.backend_type,
      vault_config: vaultConfig,
      updated_at: at,
    });
  }

  /** The store new versions of this tenant go to. */
  async forWrite(tenantId: string): Promise<ValueStore> {
    const row = await this.repository.backendOf(tenantId);
    return this.forType(tenantId, (row?.backend_type ?? "encrypted_file") as SecretBackendType);
  }

  async forType(tenantId: string, type: SecretBackendType): Promise<ValueStore> {
    switch (type) {
      case "encrypted_file":
        return this.encrypted;
      case "os_keychain":
        return this.options.keychain();
      case "vault": {
        const vault = await this.vaultOf(tenantId);
        if (!vault)
          throw new AppError(
            "UNAVAILABLE",
            "This secret is kept in Vault, but no Vault is configured for the tenant",
          );
        return vault;
      }
    }
  }

  /** The tenant's Vault, if configured; cached with its token until the configuration changes. */
  async vaultOf(tenantId: string): Promise<VaultStore | undefined> {
    const row = await this.repository.backendOf(tenantId);
    if (!row?.vault_config) return undefined;
    const cached = this.vaults.get(tenantId);
    if (cached && cached.updatedAt === row.updated_at) return cached.store;
    const config = JSON.parse(
      open(this.key.encryptionKey, row.vault_config, vaultContext(tenantId)),
    ) as VaultConfig;
    const store = this.vaultStoreOf(config);
    this.vaults.set(tenantId, { updatedAt: row.updated_at, store });
    return store;
  }

  private vaultStoreOf(config: VaultConfig): VaultStore {
    const client = new VaultClient({
      url: config.url,
      namespace: config.namespace ?? undefined,
      auth: vaultAuthOf(config, this.options.kubernetesTokenPath),
      timeoutMs: this.options.vaultTimeoutMs,
    });
    return new VaultStore(client, config.mount ?? "secret", config.path_prefix ?? "symbiont");
  }
}
