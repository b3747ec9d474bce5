import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // HTTP input servers: `config` is the contract's HttpInputConfig as JSON (secret references
  // unresolved); `desired` is what the operator asked for (running or stopped), so a restart
  // brings back the servers that were running.
  await db.schema
    .createTable("http_input_servers")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("desired", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("http_input_servers_pk", ["tenant_id", "id"])
    .execute();
  // Dynamic endpoints. They share one URL space (/hooks on the main server), so method + path is
  // unique across tenants: the unique index is what makes concurrent creates answer one 409.
  await db.schema
    .createTable("http_endpoints")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("auth_required", "integer", (c) => c.notNull())
    .addColumn("rate_limit", "integer")
    .addColumn("timeout_seconds", "integer", (c) => c.notNull())
    .addColumn("middleware", "text", (c) => c.notNull())
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("verification", "text")
    .addColumn("filters", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("http_endpoints_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("http_endpoints_by_route")
    .on("http_endpoints")
    .columns(["method", "path"])
    .unique()
    .execute();
  // Webhook deliveries seen within their tolerance window: a second insert of the same key is a
  // replay. In the shared database, so every node refuses it.
  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_by_expiry")
    .on("webhook_deliveries")
    .column("expires_at")
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("http_endpoints").execute();
  await db.schema.dropTable("http_input_servers").execute();
}
