import { type RouteResponse, TENANT_WIDE } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type SecretResponse = RouteResponse<"storeSecret">;
export type SecretValueResponse = RouteResponse<"getSecret">;
export type SecretListResponse = RouteResponse<"listSecrets">;
export type SecretVersionList = RouteResponse<"listSecretVersions">;
export type SecretChangedResponse = RouteResponse<"rotateSecret">;
export type SecretDeletedResponse = RouteResponse<"deleteSecret">;
export type SecretBackendConfigured = RouteResponse<"configureSecretBackend">;

/** Where a secret belongs: an agent id, or `"*"` (TENANT_WIDE) for the tenant's own secrets. */
export type SecretOwnerId = string;

export interface SecretStoreOptions {
  description?: string | null;
}

/**
 * Secrets of your tenant, per agent or tenant-wide (`"*"`). Listing shows names and metadata;
 * values need `secrets:read`, and every read is audited.
 */
export class SecretsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Chooses the backend for your tenant's new secrets. Needs `secrets:admin`. */
  async configureBackend(
    config: {
      backend_type: "encrypted_file" | "vault" | "os_keychain";
      vault_config?: Record<string, unknown> | null;
    },
    options?: RequestOptions,
  ): Promise<SecretBackendConfigured> {
    const body = { file_path: null, encryption_key: null, vault_config: null, ...config };
    return this.#transport.route("configureSecretBackend", { body: body as never }, options);
  }

  /** Stores a value; storing an existing name writes a new version (older ones kept for rollback). */
  async set(
    owner: SecretOwnerId,
    name: string,
    value: string,
    settings: SecretStoreOptions = {},
    options?: RequestOptions,
  ): Promise<SecretResponse> {
    const body = {
      agent_id: owner,
      secret_name: name,
      secret_value: value,
      description: settings.description ?? null,
    };
    return this.#transport.route("storeSecret", { body }, options);
  }

  /** The current value, or with `version` an earlier one (a rotated-out one only during its grace). */
  async get(
    owner: SecretOwnerId,
    name: string,
    version?: number,
    options?: RequestOptions,
  ): Promise<SecretValueResponse> {
    const params = secretParams(owner, name);
    if (version === undefined) return this.#transport.route("getSecret", { params }, options);
    return this.#transport.route(
      "getSecretVersion",
      { params: { ...params, version: String(version) } },
      options,
    );
  }

  async list(owner: SecretOwnerId = TENANT_WIDE, options?: RequestOptions): Promise<SecretListResponse> {
    return this.#transport.route("listSecrets", { params: { agent_id: ownerId(owner) } }, options);
  }

  async versions(owner: SecretOwnerId, name: string, options?: RequestOptions): Promise<SecretVersionList> {
    return this.#transport.route("listSecretVersions", { params: secretParams(owner, name) }, options);
  }

  /** Writes a new value; the previous one stays readable for `graceSeconds` (server default when absent). */
  async rotate(
    owner: SecretOwnerId,
    name: string,
    value: string,
    graceSeconds?: number,
    options?: RequestOptions,
  ): Promise<SecretChangedResponse> {
    return this.#transport.route(
      "rotateSecret",
      { params: secretParams(owner, name), body: { value, grace_seconds: graceSeconds ?? null } },
      options,
    );
  }

  /** Makes an earlier version's value current again, as a new version. */
  async rollback(
    owner: SecretOwnerId,
    name: string,
    version: number,
    options?: RequestOptions,
  ): Promise<SecretChangedResponse> {
    return this.#transport.route(
      "rollbackSecret",
      { params: secretParams(owner, name), body: { version } },
      options,
    );
  }

  async delete(owner: SecretOwnerId, name: string, options?: RequestOptions): Promise<SecretDeletedResponse> {
    return this.#transport.route("deleteSecret", { params: secretParams(owner, name) }, options);
  }
}

const ownerId = (owner: string) => pathId("agent", owner);
const secretParams = (owner: string, name: string) => ({
  agent_id: ownerId(owner),
  secret_name: pathId("secret", name),
});
