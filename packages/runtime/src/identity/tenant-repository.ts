import type { Kysely, Selectable } from "kysely";
import type { Database, TenantTable } from "../store/schema.js";

export type TenantRow = Selectable<TenantTable>;
export type TenantWithUsers = TenantRow & { user_count: number };

/** Tenants: read by the instance admin, and by anyone only for their own tenant's name. */
export class TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private withUserCounts() {
    return this.db
      .selectFrom("tenants")
      .leftJoin("users", "users.tenant_id", "tenants.id")
      .select(["tenants.id", "tenants.name", "tenants.created_at"])
      .select((eb) => eb.fn.count<number | string>("users.id").as("user_count"))
      .groupBy(["tenants.id", "tenants.name", "tenants.created_at"]);
  }

  async list(): Promise<TenantWithUsers[]> {
    const rows = await this.withUserCounts().orderBy("tenants.created_at").orderBy("tenants.id").execute();
    return rows.map((row) => ({ ...row, user_count: Number(row.user_count) }));
  }

  async find(id: string): Promise<TenantWithUsers | undefined> {
    const row = await this.withUserCounts().where("tenants.id", "=", id).executeTakeFirst();
    return row && { ...row, user_count: Number(row.user_count) };
  }

  async insertIfAbsent(row: TenantRow, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .insertInto("tenants")
      .values(row)
      .onConflict((conflict) => conflict.column("id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async rename(id: string, name: string): Promise<boolean> {
    const result = await this.db.updateTable("tenants").set({ name }).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
