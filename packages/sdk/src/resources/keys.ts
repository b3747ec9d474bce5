import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { ApiKeyCreatedResponse, ApiKeyInfo, ApiKeyRevokedResponse } from "../types.js";
import { pathId } from "./path-id.js";

/** API keys of your tenant. Needs `keys:read` to look, `keys:write` to create and revoke. */
export class KeysResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Creates a key with at most the permissions you hold yourself. The answer's `key` is the only
   * time the whole key is ever shown: store it now. Never retried.
   */
  async create(request: RouteBody<"createApiKey">, options?: RequestOptions): Promise<ApiKeyCreatedResponse> {
    return this.#transport.route("createApiKey", { body: request }, options);
  }

  /** Every key of your tenant, newest first, without secrets. */
  async list(options?: RequestOptions): Promise<ApiKeyInfo[]> {
    return (await this.#transport.route("listApiKeys", {}, options)).keys;
  }

  async get(id: string, options?: RequestOptions): Promise<ApiKeyInfo> {
    return this.#transport.route("getApiKey", { params: { key_id: keyId(id) } }, options);
  }

  /** Revokes the key: it fails from its next request on. Revoking a revoked key is harmless. */
  async revoke(id: string, options?: RequestOptions): Promise<ApiKeyRevokedResponse> {
    return this.#transport.route("revokeApiKey", { params: { key_id: keyId(id) } }, options);
  }
}

const keyId = (id: string) => pathId("key", id);
