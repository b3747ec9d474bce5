import type { Kysely, Selectable } from "kysely";
import type { Database, RoleTable } from "../store/schema.js";

export type RoleRow = Selectable<RoleTable>;

/** A tenant's custom roles. Built-in roles live in code, not here. */
export class RoleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(tenantId: string): Promise<RoleRow[]> {
    return this.db
      .selectFrom("roles")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("name")
      .execute();
  }

  find(tenantId: string, name: string): Promise<RoleRow | undefined> {
    return this.db
      .selectFrom("roles")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  async insertIfAbsent(row: RoleRow): Promise<boolean> {
    const result = await this.db
      .insertInto("roles")
      .values(row)
      .onConflict((conflict) => conflict.columns(["tenant_id", "name"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async update(
    tenantId: string,
    name: string,
    patch: Partial<Pick<RoleRow, "description" | "permissions">> & { updated_at: string },
  ): Promise<RoleRow | undefined> {
    await this.db
      .updateTable("roles")
      .set(patch)
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .execute();
    return this.find(tenantId, name);
  }

  async delete(tenantId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("roles")
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
