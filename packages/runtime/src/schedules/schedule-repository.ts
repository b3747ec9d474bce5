import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { Scope } from "../identity/scope.js";
import type { Store } from "../store/database.js";
import type { Database, ScheduleFireTable, ScheduleTable } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";

export type ScheduleRow = Selectable<ScheduleTable>;
export type ScheduleFireRow = Selectable<ScheduleFireTable>;
export type ScheduleChanges = Omit<Updateable<ScheduleTable>, "tenant_id" | "id" | "created_at" | "scope">;

/** How the scheduler moves a due schedule on, decided outside the lock from the row it read. */
export interface SlotClaim {
  tenantId: string;
  scheduleId: string;
  /** The `next_fire_at` the decision was made from; if the row moved on meanwhile, nothing happens. */
  expectedNextFireAt: string;
  slotTime: string;
  firedAt: string;
  node: string;
  /** `claimed` to run it, `skipped` to record a missed slot not run by policy. */
  status: "claimed" | "skipped";
  nextFireAt: string | null;
  completes: boolean;
}

/** Schedules and their fires. Scope-taking methods filter by tenant; the scheduler's span tenants. */
export class ScheduleRepository {
  private readonly db: Kysely<Database>;

  constructor(private readonly store: Store) {
    this.db = store.db;
  }

  async insert(row: Insertable<ScheduleTable>): Promise<void> {
    await this.db.insertInto("schedules").values(row).execute();
  }

  findByTenantAndId(scope: Scope, id: string): Promise<ScheduleRow | undefined> {
    return this.db
      .selectFrom("schedules")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  list(scope: Scope, agentId?: string): Promise<ScheduleRow[]> {
    let query = this.db.selectFrom("schedules").selectAll().where("tenant_id", "=", scope.tenantId);
    if (agentId !== undefined) query = query.where("agent_id", "=", agentId);
    return query.orderBy("created_at").orderBy("id").execute();
  }

  update(scope: Scope, id: string, changes: ScheduleChanges): Promise<ScheduleRow | undefined> {
    return this.db
      .updateTable("schedules")
      .set(changes)
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom("schedules")
        .where("tenant_id", "=", scope.tenantId)
        .where("id", "=", id)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) return false;
      await trx
        .deleteFrom("schedule_fires")
        .where("tenant_id", "=", scope.tenantId)
        .where("schedule_id", "=", id)
        .execute();
      return true;
    });
  }

  /**
   * Replaces the schedules a .symbi registration made (same origin) with new ones, in one
   * transaction: a reader sees the old set or the new, never a mix.
   */
  async replaceByOrigin(scope: Scope, origin: string, rows: Insertable<ScheduleTable>[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom("schedules")
        .select("id")
        .where("tenant_id", "=", scope.tenantId)
        .where("origin", "=", origin)
        .execute();
      if (old.length > 0) {
        const ids = old.map((row) => row.id);
        await trx
          .deleteFrom("schedule_fires")
          .where("tenant_id", "=", scope.tenantId)
          .where("schedule_id", "in", ids)
          .execute();
        await trx
          .deleteFrom("schedules")
          .where("tenant_id", "=", scope.tenantId)
          .where("id", "in", ids)
          .execute();
      }
      if (rows.length > 0) await trx.insertInto("schedules").values(rows).execute();
    });
  }

  history(scope: Scope, scheduleId: string, limit: number): Promise<ScheduleFireRow[]> {
    return this.db
      .selectFrom("schedule_fires")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("schedule_id", "=", scheduleId)
      .orderBy("slot_time", "desc")
      .limit(limit)
      .execute();
  }

  /** Active schedules whose next slot has come, of every tenant, earliest first. */
  due(now: string, limit: number): Promise<ScheduleRow[]> {
    return this.db
      .selectFrom("schedules")
      .selectAll()
      .where("status", "=", "active")
      .where("next_fire_at", "is not", null)
      .where("next_fire_at", "<=", now)
      .orderBy("next_fire_at")
      .limit(limit)
      .execute();
  }

  /** The earliest slot any active schedule waits for, so the scheduler can sleep until then. */
  async earliestNextFire(): Promise<string | null> {
    const row = await this.db
      .selectFrom("schedules")
      .select((eb) => eb.fn.min("next_fire_at").as("next"))
      .where("status", "=", "active")
      .executeTakeFirst();
    return (row?.next as string | null | undefined) ?? null;
  }

  /**
   * Claims one slot: inserts its fire row and moves the schedule on, in one transaction under the
   * schedule's write lock. The fire row's primary key (schedule, slot) is what guarantees a slot is
   * claimed once across restarts and nodes; the check of `next_fire_at` keeps a node that read the
   * row before another moved it from acting on stale timing. True when this caller won the slot.
   */
  claim(claim: SlotClaim): Promise<boolean> {
    return withWriteLock(this.store, `schedule:${claim.scheduleId}`, async (trx) => {
      const current = await trx
        .selectFrom("schedules")
        .select(["status", "next_fire_at"])
        .where("tenant_id", "=", claim.tenantId)
        .where("id", "=", claim.scheduleId)
        .executeTakeFirst();
      if (current?.status !== "active" || current.next_fire_at !== claim.expectedNextFireAt) return false;
      const inserted = await trx
        .insertInto("schedule_fires")
        .values({
          tenant_id: claim.tenantId,
          schedule_id: claim.scheduleId,
          slot_time: claim.slotTime,
          fired_at: claim.firedAt,
          status: claim.status,
          run_id: null,
          error: null,
          node: claim.node,
        })
        .onConflict((oc) => oc.columns(["schedule_id", "slot_time"]).doNothing())
        .executeTakeFirst();
      const won = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
      await trx
        .updateTable("schedules")
        .set({
          next_fire_at: claim.nextFireAt,
          status: claim.completes ? "completed" : "active",
          updated_at: claim.firedAt,
          ...(won && claim.status === "claimed" ? { last_fired_at: claim.slotTime } : {}),
        })
        .where("tenant_id", "=", claim.tenantId)
        .where("id", "=", claim.scheduleId)
        .execute();
      return won;
    });
  }

  async recordOutcome(
    tenantId: string,
    scheduleId: string,
    slotTime: string,
    outcome: { status: "started" | "failed"; runId: string | null; error: string | null },
  ): Promise<void> {
    await this.db
      .updateTable("schedule_fires")
      .set({ status: outcome.status, run_id: outcome.runId, error: outcome.error })
      .where("tenant_id", "=", tenantId)
      .where("schedule_id", "=", scheduleId)
      .where("slot_time", "=", slotTime)
      .execute();
  }
}
