import type { Kysely, Selectable } from "kysely";
import type { ApiKeyTable, Database } from "../store/schema.js";
import type { Scope } from "./scope.js";

export type ApiKeyRow = Selectable<ApiKeyTable>;

/**
 * Looking a key up by id is the one unscoped read: the tenant is what the key tells us. Everything
 * after authentication goes through tenant-scoped repositories.
 */
export class ApiKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findById(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async hasAnyKey(): Promise<boolean> {
    const row = await this.db.selectFrom("api_keys").select("id").limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** Inserts unless the id is taken; true when this call created the row. */
  async insertIfAbsent(row: ApiKeyRow): Promise<boolean> {
    const result = await this.db
      .insertInto("api_keys")
      .values(row)
      .onConflict((conflict) => conflict.column("id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async touchLastUsed(id: string, at: string): Promise<void> {
    await this.db.updateTable("api_keys").set({ last_used_at: at }).where("id", "=", id).execute();
  }

  listByTenant(scope: Scope): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
  }

  findByTenantAndId(scope: Scope, id: string): Promise<ApiKeyRow | undefined> {
    return this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** Revokes every live key a principal created; answers how many. */
  async revokeCreatedBy(tenantId: string, principalId: string, at: string): Promise<number> {
    const result = await this.db
      .updateTable("api_keys")
      .set({ revoked_at: at })
      .where("tenant_id", "=", tenantId)
      .where("created_by", "=", principalId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks the key revoked unless it is already; answers the row as it now is. */
  async revoke(scope: Scope, id: string, at: string): Promise<ApiKeyRow | undefined> {
    await this.db
      .updateTable("api_keys")
      .set({ revoked_at: at })
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .execute();
    return this.findByTenantAndId(scope, id);
  }
}
