import { type Kysely, type Selectable, sql, type Updateable } from "kysely";
import type { Database, UserTable } from "../store/schema.js";

export type UserRow = Selectable<UserTable>;
export type UserPatch = Omit<Updateable<UserTable>, "tenant_id" | "id" | "username" | "username_key">;

export const usernameKey = (username: string) => username.toLowerCase();

/**
 * Users, always within one tenant. The tenant comes from the caller's scope, or for a login from
 * the tenant the login names: the one lookup that precedes a scope.
 */
export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findByUsername(tenantId: string, username: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom("users")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("username_key", "=", usernameKey(username))
      .executeTakeFirst();
  }

  findById(tenantId: string, id: string, db: Kysely<Database> = this.db): Promise<UserRow | undefined> {
    return db
      .selectFrom("users")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  list(tenantId: string): Promise<UserRow[]> {
    return this.db
      .selectFrom("users")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("username_key")
      .execute();
  }

  /** Inserts unless the tenant has the username already; true when this call created the user. */
  async insertIfAbsent(row: UserRow, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .insertInto("users")
      .values(row)
      .onConflict((conflict) => conflict.columns(["tenant_id", "username_key"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async update(
    tenantId: string,
    id: string,
    patch: UserPatch,
    db: Kysely<Database> = this.db,
  ): Promise<UserRow | undefined> {
    await db.updateTable("users").set(patch).where("tenant_id", "=", tenantId).where("id", "=", id).execute();
    return this.findById(tenantId, id, db);
  }

  /** Counts one more failed login and answers the new count. */
  async countFailedLogin(tenantId: string, id: string, db: Kysely<Database>): Promise<number> {
    await db
      .updateTable("users")
      .set({ failed_logins: sql`failed_logins + 1` })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute();
    const row = await this.findById(tenantId, id, db);
    return row?.failed_logins ?? 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("users")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
