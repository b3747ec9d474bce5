import type { Kysely, Selectable } from "kysely";
import type { Database, RefreshTokenTable, SessionTable } from "../store/schema.js";

export type SessionRow = Selectable<SessionTable>;
export type RefreshTokenRow = Selectable<RefreshTokenTable>;

/** Sessions (one per login) and the refresh tokens each has handed out, oldest first. */
export class SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertSession(row: SessionRow, db: Kysely<Database> = this.db): Promise<void> {
    await db.insertInto("sessions").values(row).execute();
  }

  async insertRefreshToken(row: RefreshTokenRow, db: Kysely<Database> = this.db): Promise<void> {
    await db.insertInto("refresh_tokens").values(row).execute();
  }

  findSession(id: string, db: Kysely<Database> = this.db): Promise<SessionRow | undefined> {
    return db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findRefreshToken(id: string, db: Kysely<Database> = this.db): Promise<RefreshTokenRow | undefined> {
    return db.selectFrom("refresh_tokens").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Marks a refresh token used; false when it was used already (by a concurrent refresh, say). */
  async markUsed(id: string, at: string, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .updateTable("refresh_tokens")
      .set({ used_at: at })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async touchSession(id: string, at: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable("sessions").set({ last_refreshed_at: at }).where("id", "=", id).execute();
  }

  async revokeSession(
    id: string,
    reason: string,
    at: string,
    db: Kysely<Database> = this.db,
  ): Promise<boolean> {
    const result = await db
      .updateTable("sessions")
      .set({ revoked_at: at, revoked_reason: reason })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends every session of a user (but one, when given); answers how many were live. */
  async revokeUserSessions(
    tenantId: string,
    userId: string,
    reason: string,
    at: string,
    exceptSessionId?: string,
  ): Promise<number> {
    let query = this.db
      .updateTable("sessions")
      .set({ revoked_at: at, revoked_reason: reason })
      .where("tenant_id", "=", tenantId)
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null);
    if (exceptSessionId !== undefined) query = query.where("id", "!=", exceptSessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
