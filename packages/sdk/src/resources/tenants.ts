import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { TenantInfo } from "../types.js";
import { pathId } from "./path-id.js";

/** Tenants of the instance: for principals of the instance tenant (`default`) with `tenants:manage`. */
export class TenantsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async list(options?: RequestOptions): Promise<TenantInfo[]> {
    return (await this.#transport.route("listTenants", {}, options)).tenants;
  }

  /** Creates a tenant, and with `admin` its first admin user, in one step. */
  async create(request: RouteBody<"createTenant">, options?: RequestOptions): Promise<TenantInfo> {
    return this.#transport.route("createTenant", { body: request }, options);
  }

  async get(id: string, options?: RequestOptions): Promise<TenantInfo> {
    return this.#transport.route("getTenant", { params: { tenant_id: pathId("tenant", id) } }, options);
  }

  async rename(id: string, name: string, options?: RequestOptions): Promise<TenantInfo> {
    return this.#transport.route(
      "updateTenant",
      { params: { tenant_id: pathId("tenant", id) }, body: { name } },
      options,
    );
  }
}
