import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // One row per deployment. `desired` is what the operator asked for (running | stopped) and
  // survives restarts, so a runtime that starts again brings its deployments back to it; `status`
  // is what was last observed.
  await db.schema
    .createTable("deployments")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("executor", "text", (c) => c.notNull())
    .addColumn("config_overrides", "text", (c) => c.notNull())
    .addColumn("limits", "text", (c) => c.notNull())
    .addColumn("replicas", "integer", (c) => c.notNull())
    .addColumn("desired", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("endpoint_url", "text")
    .addColumn("restarts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    // JSON array of the last lines the replicas printed, kept when the deployment fails.
    .addColumn("last_log", "text", (c) => c.notNull().defaultTo("[]"))
    // Process groups of the replicas last started (JSON array), so a restarted node can make sure
    // none of them outlived it before it starts new ones.
    .addColumn("process_groups", "text", (c) => c.notNull().defaultTo("[]"))
    // The node whose supervisor runs the replicas.
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("deployed_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("stopped_at", "text")
    .addPrimaryKeyConstraint("deployments_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("deployments_by_agent")
    .on("deployments")
    .columns(["tenant_id", "agent_id", "deployed_at"])
    .execute();
  await db.schema
    .createIndex("deployments_by_desired")
    .on("deployments")
    .columns(["desired", "owner"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("deployments").execute();
}
