import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // Every version of every workflow definition; a version never changes once written.
  await db.schema
    .createTable("workflow_definitions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("workflow_definitions_pk", ["tenant_id", "id", "version"])
    .execute();
  // One name per workflow in a tenant (every version of it shares the name).
  await db.schema
    .createIndex("workflow_definitions_by_name")
    .on("workflow_definitions")
    .columns(["tenant_id", "name", "version"])
    .unique()
    .execute();
  // An execution keeps the spec it started with, so a new version never changes a running one,
  // and owner/lease like runs: a node resumes its own at start, and those whose node died.
  await db.schema
    .createTable("workflow_executions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("workflow_id", "text", (c) => c.notNull())
    .addColumn("workflow_name", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("agent_id", "text")
    .addColumn("parameters", "text", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("pending_approval", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("lease_until", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("workflow_executions_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("workflow_executions_by_time")
    .on("workflow_executions")
    .columns(["tenant_id", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("workflow_executions_by_status")
    .on("workflow_executions")
    .columns(["status"])
    .execute();
  // The persisted state of each step: written before the execution moves on, so a restart resumes
  // from here and never redoes a step that finished. `progress` holds a map step's finished items.
  await db.schema
    .createTable("workflow_steps")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("execution_id", "text", (c) => c.notNull())
    .addColumn("step_id", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("output", "text")
    .addColumn("error", "text")
    .addColumn("run_ids", "text", (c) => c.notNull())
    .addColumn("progress", "text")
    .addColumn("started_at", "text")
    .addColumn("finished_at", "text")
    .addPrimaryKeyConstraint("workflow_steps_pk", ["tenant_id", "execution_id", "step_id"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("workflow_steps").execute();
  await db.schema.dropTable("workflow_executions").execute();
  await db.schema.dropTable("workflow_definitions").execute();
}
