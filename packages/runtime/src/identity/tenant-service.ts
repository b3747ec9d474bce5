import type { TenantCreateRequest, TenantInfo, TenantUpdateRequest } from "@symbiont/protocol";
import { AppError, conflict, notFound } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import { withWriteLock } from "../store/write-transaction.js";
import type { Scope } from "./scope.js";
import type { TenantRepository, TenantWithUsers } from "./tenant-repository.js";
import type { UserRepository } from "./user-repository.js";
import { checkPasswordPolicy, newUserRow } from "./user-service.js";

const infoOf = (row: TenantWithUsers): TenantInfo => ({
  id: row.id,
  name: row.name,
  created_at: row.created_at,
  user_count: row.user_count,
});

/**
 * Tenants are the instance's business: only principals of the instance's own tenant (`default`)
 * manage them. A tenant admin elsewhere holds `admin` in its tenant, which is not this.
 */
export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(scope: Scope): Promise<{ tenants: TenantInfo[] }> {
    this.checkInstanceAdmin(scope);
    return { tenants: (await this.tenants.list()).map(infoOf) };
  }

  async get(scope: Scope, id: string): Promise<TenantInfo> {
    this.checkInstanceAdmin(scope);
    const row = await this.tenants.find(id);
    if (!row) throw notFound(`Tenant "${id}"`);
    return infoOf(row);
  }

  async create(scope: Scope, request: TenantCreateRequest): Promise<TenantInfo> {
    this.checkInstanceAdmin(scope);
    const admin = request.admin ?? null;
    if (admin) checkPasswordPolicy(admin.password, admin.username, "body.admin.password");
    const now = this.now();
    const adminRow = admin && (await newUserRow(request.id, { ...admin, roles: ["admin"] }, now));
    // The tenant and its first admin appear together or not at all.
    await withWriteLock(this.store, `tenant:${request.id}`, async (trx) => {
      const created = await this.tenants.insertIfAbsent(
        { id: request.id, name: request.name, created_at: now.toISOString() },
        trx,
      );
      if (!created) throw conflict(`Tenant "${request.id}" already exists`);
      if (adminRow) await this.users.insertIfAbsent(adminRow, trx);
    });
    return {
      id: request.id,
      name: request.name,
      created_at: now.toISOString(),
      user_count: adminRow ? 1 : 0,
    };
  }

  async update(scope: Scope, id: string, request: TenantUpdateRequest): Promise<TenantInfo> {
    this.checkInstanceAdmin(scope);
    if (!(await this.tenants.rename(id, request.name))) throw notFound(`Tenant "${id}"`);
    return this.get(scope, id);
  }

  private checkInstanceAdmin(scope: Scope): void {
    if (scope.tenantId !== DEFAULT_TENANT_ID) {
      throw new AppError(
        "FORBIDDEN",
        `Managing tenants is for principals of the instance tenant "${DEFAULT_TENANT_ID}"`,
        { required_tenant: DEFAULT_TENANT_ID },
      );
    }
  }
}
