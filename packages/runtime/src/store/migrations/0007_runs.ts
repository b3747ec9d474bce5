import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // One row per run of an agent. `state` is the loop's persisted state (the conversation so far and
  // the tool calls still to handle), so a run waiting for a human survives a restart.
  await db.schema
    .createTable("runs")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("input", "text", (c) => c.notNull())
    .addColumn("output", "text")
    .addColumn("error", "text")
    .addColumn("steps_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("input_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("limits", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("pending_approval", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("deadline_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    // The node driving the run and until when it vouches for it: a run whose lease ran out was
    // left behind by a node that died, and is failed by whichever node notices.
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("lease_until", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("runs_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("runs_by_agent")
    .on("runs")
    .columns(["tenant_id", "agent_id", "created_at", "id"])
    .execute();
  await db.schema.createIndex("runs_by_status").on("runs").columns(["status"]).execute();
  // Every step of a run, numbered; (run, seq) is unique so a step is never written twice.
  await db.schema
    .createTable("run_steps")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("duration_ms", "real", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_steps_pk", ["tenant_id", "run_id", "seq"])
    .execute();
  // Cedar policies gating tool calls; agent_id null applies to every agent of the tenant.
  await db.schema
    .createTable("policies")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("agent_id", "text")
    .addColumn("policy", "text", (c) => c.notNull())
    .addColumn("effect", "text", (c) => c.notNull())
    .addColumn("requires_approval", "integer", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("policies_pk", ["tenant_id", "id"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("policies").execute();
  await db.schema.dropTable("run_steps").execute();
  await db.schema.dropTable("runs").execute();
}
