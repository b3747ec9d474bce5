import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { RoleInfo } from "../types.js";
import { pathId } from "./path-id.js";

/** Built-in roles and your tenant's custom roles. Needs `roles:read`, and `roles:manage` to change. */
export class RolesResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async list(options?: RequestOptions): Promise<RoleInfo[]> {
    return (await this.#transport.route("listRoles", {}, options)).roles;
  }

  async create(request: RouteBody<"createRole">, options?: RequestOptions): Promise<RoleInfo> {
    return this.#transport.route("createRole", { body: request }, options);
  }

  async get(name: string, options?: RequestOptions): Promise<RoleInfo> {
    return this.#transport.route("getRole", { params: { role_name: pathId("role", name) } }, options);
  }

  async update(name: string, changes: RouteBody<"updateRole">, options?: RequestOptions): Promise<RoleInfo> {
    return this.#transport.route(
      "updateRole",
      { params: { role_name: pathId("role", name) }, body: changes },
      options,
    );
  }

  /** Deletes a custom role that no user holds. */
  async delete(name: string, options?: RequestOptions): Promise<{ deleted: true; name: string }> {
    return this.#transport.route("deleteRole", { params: { role_name: pathId("role", name) } }, options);
  }
}
