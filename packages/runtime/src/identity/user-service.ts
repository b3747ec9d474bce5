import { randomUUID } from "node:crypto";
import type { UserCreateRequest, UserInfo, UserUpdateRequest } from "@symbiont/protocol";
import type { Kysely } from "kysely";
import { conflict, fieldError, notFound } from "../server/app-error.js";
import type { Database } from "../store/schema.js";
import type { ApiKeyRepository } from "./api-key-repository.js";
import { hashPassword, passwordPolicyProblem } from "./passwords.js";
import type { RoleService } from "./role-service.js";
import type { Scope } from "./scope.js";
import type { SessionRepository } from "./session-repository.js";
import { userInfoOf } from "./user-info.js";
import { type UserPatch, type UserRepository, type UserRow, usernameKey } from "./user-repository.js";

export function checkPasswordPolicy(password: string, username: string, field: string): void {
  const problem = passwordPolicyProblem(password, username);
  if (problem) throw fieldError("VALIDATION_FAILED", field, problem);
}

/** Builds a new user's row; the password is hashed here and nowhere kept in clear. */
export async function newUserRow(
  tenantId: string,
  request: { username: string; password: string; display_name?: string | null; roles: string[] },
  now: Date,
): Promise<UserRow> {
  const at = now.toISOString();
  return {
    tenant_id: tenantId,
    id: randomUUID(),
    username: request.username,
    username_key: usernameKey(request.username),
    display_name: request.display_name ?? null,
    password_hash: await hashPassword(request.password),
    roles: JSON.stringify(request.roles),
    disabled: 0,
    failed_logins: 0,
    locked_until: null,
    last_login_at: null,
    totp_secret: null,
    totp_pending_secret: null,
    totp_last_step: null,
    recovery_codes: "[]",
    created_at: at,
    updated_at: at,
  };
}

/** A tenant's users, managed by its admins: nobody hands out or takes over more than they hold. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly roles: RoleService,
    private readonly sessions: SessionRepository,
    private readonly keys: ApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(scope: Scope): Promise<{ users: UserInfo[] }> {
    const now = this.now().getTime();
    return { users: (await this.users.list(scope.tenantId)).map((row) => userInfoOf(row, now)) };
  }

  async get(scope: Scope, id: string): Promise<UserInfo> {
    return userInfoOf(await this.find(scope, id), this.now().getTime());
  }

  async create(
    scope: Scope,
    request: UserCreateRequest & { roles: string[] },
    db?: Kysely<Database>,
  ): Promise<UserInfo> {
    checkPasswordPolicy(request.password, request.username, "body.password");
    await this.roles.checkAssignable(scope, request.roles, "body.roles");
    const row = await newUserRow(scope.tenantId, request, this.now());
    if (!(await this.users.insertIfAbsent(row, db)))
      throw conflict(`A user named "${request.username}" already exists in this tenant`);
    return userInfoOf(row);
  }

  async update(scope: Scope, id: string, request: UserUpdateRequest): Promise<UserInfo> {
    const existing = await this.find(scope, id);
    // Changing a user is taking over what it holds: only for those who could grant all of it.
    await this.roles.checkAssignable(scope, JSON.parse(existing.roles) as string[], "params.user_id");
    const self = scope.user?.id === id;
    if (request.roles != null) await this.roles.checkAssignable(scope, request.roles, "body.roles");
    if (self && request.disabled === true) throw conflict("You cannot disable yourself");
    if (request.password != null) checkPasswordPolicy(request.password, existing.username, "body.password");

    const patch: UserPatch = { updated_at: this.now().toISOString() };
    if (request.display_name !== undefined && request.display_name !== null)
      patch.display_name = request.display_name;
    if (request.roles != null) patch.roles = JSON.stringify(request.roles);
    if (request.disabled != null) patch.disabled = request.disabled ? 1 : 0;
    if (request.password != null) patch.password_hash = await hashPassword(request.password);
    if (request.unlock) {
      patch.failed_logins = 0;
      patch.locked_until = null;
    }
    const row = await this.users.update(scope.tenantId, id, patch);
    if (!row) throw notFound(`User "${id}"`);
    // New roles, a new password or a disabled account end the sessions minted under the old state.
    if (request.roles != null || request.password != null || request.disabled === true) {
      await this.sessions.revokeUserSessions(scope.tenantId, id, "user_changed", patch.updated_at as string);
    }
    // A disabled user's keys stop with it: they would otherwise keep acting in its name.
    if (request.disabled === true)
      await this.keys.revokeCreatedBy(scope.tenantId, `user:${id}`, patch.updated_at as string);
    return userInfoOf(row, this.now().getTime());
  }

  async delete(scope: Scope, id: string): Promise<{ deleted: true; id: string }> {
    const existing = await this.find(scope, id);
    await this.roles.checkAssignable(scope, JSON.parse(existing.roles) as string[], "params.user_id");
    if (scope.user?.id === id) throw conflict("You cannot delete yourself");
    const at = this.now().toISOString();
    await this.sessions.revokeUserSessions(scope.tenantId, id, "user_deleted", at);
    await this.keys.revokeCreatedBy(scope.tenantId, `user:${id}`, at);
    if (!(await this.users.delete(scope.tenantId, id))) throw notFound(`User "${id}"`);
    return { deleted: true, id };
  }

  private async find(scope: Scope, id: string): Promise<UserRow> {
    const row = await this.users.findById(scope.tenantId, id);
    if (!row) throw notFound(`User "${id}"`);
    return row;
  }
}
