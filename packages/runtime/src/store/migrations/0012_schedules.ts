import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // Schedules that run agents. `next_fire_at` is the slot the scheduler fires next, kept in the
  // row so a restarted node knows which slots fell due while it was down.
  await db.schema
    .createTable("schedules")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("cron", "text")
    .addColumn("at", "text")
    .addColumn("timezone", "text", (c) => c.notNull())
    .addColumn("input", "text")
    .addColumn("one_shot", "integer", (c) => c.notNull())
    .addColumn("missed", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("origin", "text")
    .addColumn("next_fire_at", "text")
    .addColumn("last_fired_at", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    // The creator's scope (tenant, grants, agent limits) as JSON: fired runs act with it, the way a
    // run resumed after a restart acts with its creator's stored scope.
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("schedules_pk", ["tenant_id", "id"])
    .execute();
  await db.schema.createIndex("schedules_due").on("schedules").columns(["status", "next_fire_at"]).execute();
  // One row per slot ever claimed: the primary key is what makes a slot fire once, across
  // restarts and across nodes sharing the database. The claim is inserted before the run starts.
  await db.schema
    .createTable("schedule_fires")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("schedule_id", "text", (c) => c.notNull())
    .addColumn("slot_time", "text", (c) => c.notNull())
    .addColumn("fired_at", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("run_id", "text")
    .addColumn("error", "text")
    .addColumn("node", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("schedule_fires_pk", ["schedule_id", "slot_time"])
    .execute();
  // Policies compiled from a registered .symbi file carry `dsl:<agent id>`, so registering that
  // file again replaces exactly its own policies.
  await db.schema.alterTable("policies").addColumn("origin", "text").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("policies").dropColumn("origin").execute();
  await db.schema.dropTable("schedule_fires").execute();
  await db.schema.dropTable("schedules").execute();
}
