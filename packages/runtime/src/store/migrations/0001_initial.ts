import type { Kysely } from "kysely";

export const DEFAULT_TENANT_ID = "default";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db
    .insertInto("tenants")
    .values({ id: DEFAULT_TENANT_ID, name: "Default", created_at: new Date().toISOString() })
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("principal_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("secret_hash", "text", (c) => c.notNull())
    .addColumn("permissions", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .addColumn("last_used_at", "text")
    .execute();
  await db.schema.createIndex("api_keys_tenant_idx").on("api_keys").column("tenant_id").execute();

  await db.schema
    .createTable("agents")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("system_prompt", "text", (c) => c.notNull())
    .addColumn("tools", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("temperature", "double precision", (c) => c.notNull())
    .addColumn("top_p", "double precision", (c) => c.notNull())
    .addColumn("max_tokens", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("last_activity_at", "text", (c) => c.notNull())
    .addColumn("tasks_completed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("tasks_failed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("total_response_ms", "double precision", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("agents_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("agents_tenant_created_idx")
    .on("agents")
    .columns(["tenant_id", "created_at", "id"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("agents").execute();
  await db.schema.dropTable("api_keys").execute();
  await db.schema.dropTable("tenants").execute();
}
