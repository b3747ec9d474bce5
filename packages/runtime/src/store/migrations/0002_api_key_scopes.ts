import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // JSON array of agent ids the key is limited to; null for every agent.
  await db.schema.alterTable("api_keys").addColumn("agent_ids", "text").execute();
  await db.schema
    .alterTable("api_keys")
    .addColumn("created_by", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .createIndex("api_keys_tenant_created_idx")
    .on("api_keys")
    .columns(["tenant_id", "created_at"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("api_keys_tenant_created_idx").execute();
  await db.schema.alterTable("api_keys").dropColumn("created_by").execute();
  await db.schema.alterTable("api_keys").dropColumn("agent_ids").execute();
}
