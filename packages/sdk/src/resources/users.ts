import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { UserInfo } from "../types.js";
import { pathId } from "./path-id.js";

/** Users of your tenant. Needs `users:read` to look, `users:manage` (or admin) to change. */
export class UsersResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async list(options?: RequestOptions): Promise<UserInfo[]> {
    return (await this.#transport.route("listUsers", {}, options)).users;
  }

  /** Creates a user with roles no stronger than your own. Never retried. */
  async create(request: RouteBody<"createUser">, options?: RequestOptions): Promise<UserInfo> {
    return this.#transport.route("createUser", { body: request }, options);
  }

  async get(id: string, options?: RequestOptions): Promise<UserInfo> {
    return this.#transport.route("getUser", { params: { user_id: pathId("user", id) } }, options);
  }

  /** Changes roles, name, password, disabled state or lockout (`unlock: true`); fields left out stay. */
  async update(id: string, changes: RouteBody<"updateUser">, options?: RequestOptions): Promise<UserInfo> {
    return this.#transport.route(
      "updateUser",
      { params: { user_id: pathId("user", id) }, body: changes },
      options,
    );
  }

  async delete(id: string, options?: RequestOptions): Promise<{ deleted: true; id: string }> {
    return this.#transport.route("deleteUser", { params: { user_id: pathId("user", id) } }, options);
  }
}
