import {
  BUILT_IN_ROLE_GRANTS,
  BuiltInRole,
  type Grant,
  type RoleCreateRequest,
  type RoleInfo,
  type RoleUpdateRequest,
} from "@symbiont/protocol";
import { conflict, fieldError, notFound } from "../server/app-error.js";
import { grantsOfRoles, mayGrant, parseGrants } from "./grants.js";
import type { RoleRepository, RoleRow } from "./role-repository.js";
import type { Scope } from "./scope.js";
import type { UserRepository } from "./user-repository.js";

const BUILT_IN_DESCRIPTIONS: Record<BuiltInRole, string> = {
  admin: "Everything in the tenant, including users, roles and keys",
  operator: "Read, create, change, run and delete resources; no user or role management",
  user: "Read, create, change and run resources; no deleting",
  viewer: "Read only",
};

const builtInInfo = (name: BuiltInRole): RoleInfo => ({
  name,
  description: BUILT_IN_DESCRIPTIONS[name],
  permissions: [...BUILT_IN_ROLE_GRANTS[name]],
  built_in: true,
  created_at: null,
  updated_at: null,
});

const customInfo = (row: RoleRow): RoleInfo => ({
  name: row.name,
  description: row.description,
  permissions: JSON.parse(row.permissions) as string[],
  built_in: false,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/** Built-in and custom roles, and what grants a list of role names confers in a tenant. */
export class RoleService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly users: UserRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(scope: Scope): Promise<{ roles: RoleInfo[] }> {
    const custom = await this.roles.list(scope.tenantId);
    return { roles: [...BuiltInRole.options.map(builtInInfo), ...custom.map(customInfo)] };
  }

  async get(scope: Scope, name: string): Promise<RoleInfo> {
    const builtIn = BuiltInRole.safeParse(name);
    if (builtIn.success) return builtInInfo(builtIn.data);
    const row = await this.roles.find(scope.tenantId, name);
    if (!row) throw notFound(`Role "${name}"`);
    return customInfo(row);
  }

  async create(scope: Scope, request: RoleCreateRequest): Promise<RoleInfo> {
    this.checkGrantable(scope, request.permissions);
    const at = this.now().toISOString();
    const row: RoleRow = {
      tenant_id: scope.tenantId,
      name: request.name,
      description: request.description ?? "",
      permissions: JSON.stringify(request.permissions),
      created_at: at,
      updated_at: at,
    };
    if (!(await this.roles.insertIfAbsent(row))) throw conflict(`Role "${request.name}" already exists`);
    return customInfo(row);
  }

  async update(scope: Scope, name: string, request: RoleUpdateRequest): Promise<RoleInfo> {
    if (BuiltInRole.safeParse(name).success)
      throw fieldError("FORBIDDEN", "params.role_name", "built-in roles cannot be changed");
    if (request.permissions) this.checkGrantable(scope, request.permissions);
    const existing = await this.roles.find(scope.tenantId, name);
    if (!existing) throw notFound(`Role "${name}"`);
    // Someone who could not grant the role's present permissions cannot change it either.
    this.checkGrantable(scope, [...parseGrants(existing.permissions)], "params.role_name");
    const row = await this.roles.update(scope.tenantId, name, {
      ...(request.description != null ? { description: request.description } : {}),
      ...(request.permissions != null ? { permissions: JSON.stringify(request.permissions) } : {}),
      updated_at: this.now().toISOString(),
    });
    if (!row) throw notFound(`Role "${name}"`);
    return customInfo(row);
  }

  async delete(scope: Scope, name: string): Promise<{ deleted: true; name: string }> {
    if (BuiltInRole.safeParse(name).success)
      throw fieldError("FORBIDDEN", "params.role_name", "built-in roles cannot be deleted");
    const existing = await this.roles.find(scope.tenantId, name);
    if (!existing) throw notFound(`Role "${name}"`);
    this.checkGrantable(scope, [...parseGrants(existing.permissions)], "params.role_name");
    const holders = (await this.users.list(scope.tenantId)).filter((user) =>
      (JSON.parse(user.roles) as string[]).includes(name),
    );
    if (holders.length > 0) {
      throw conflict(
        `Role "${name}" is held by ${holders.length} user(s) (${holders
          .slice(0, 5)
          .map((u) => u.username)
          .join(", ")}); take it from them first`,
      );
    }
    if (!(await this.roles.delete(scope.tenantId, name))) throw notFound(`Role "${name}"`);
    return { deleted: true, name };
  }

  /** The grants that roles confer in a tenant, with the roles that do not exist there. */
  async resolve(
    tenantId: string,
    roleNames: readonly string[],
  ): Promise<{ grants: Set<Grant>; unknown: string[] }> {
    const custom = new Map<string, Set<Grant>>();
    for (const row of await this.roles.list(tenantId)) custom.set(row.name, parseGrants(row.permissions));
    const unknown = roleNames.filter((name) => !BuiltInRole.safeParse(name).success && !custom.has(name));
    return { grants: grantsOfRoles(roleNames, custom), unknown };
  }

  /**
   * Refuses roles that do not exist, and roles conferring a grant the caller does not hold: the
   * check that stops a user (or a key) handing itself or anyone else more than it has.
   */
  async checkAssignable(scope: Scope, roleNames: readonly string[], field: string): Promise<void> {
    const custom = new Map<string, Set<Grant>>();
    for (const row of await this.roles.list(scope.tenantId))
      custom.set(row.name, parseGrants(row.permissions));
    roleNames.forEach((name, index) => {
      // A role list in the body is named entry by entry; an existing user's roles by the user.
      const where = field.startsWith("body.") ? `${field}.${index}` : field;
      const builtIn = BuiltInRole.safeParse(name);
      const grants = builtIn.success ? BUILT_IN_ROLE_GRANTS[builtIn.data] : custom.get(name);
      if (!grants) throw fieldError("VALIDATION_FAILED", where, `no role "${name}" in this tenant`);
      const withheld = [...grants].find((grant) => !mayGrant(scope.grants, grant));
      if (withheld)
        throw fieldError(
          "FORBIDDEN",
          where,
          `role "${name}" grants "${withheld}", which you do not hold yourself`,
        );
    });
  }

  private checkGrantable(scope: Scope, grants: readonly Grant[], field = "body.permissions"): void {
    grants.forEach((grant, index) => {
      if (!mayGrant(scope.grants, grant)) {
        throw fieldError(
          "FORBIDDEN",
          field === "body.permissions" ? `${field}.${index}` : field,
          `you do not hold "${grant}" yourself, so you cannot grant it`,
        );
      }
    });
  }
}
