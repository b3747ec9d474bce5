import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // SchemaPin trust on first use: the key each tenant first saw for a signer (the well-known URL's
  // origin). A different key later is refused and alarmed until someone re-pins on purpose.
  await db.schema
    .createTable("tool_key_pins")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("signer", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("public_key_pem", "text", (c) => c.notNull())
    .addColumn("pinned_at", "text", (c) => c.notNull())
    .addColumn("pinned_by", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("tool_key_pins_pk", ["tenant_id", "signer"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("tool_key_pins").execute();
}
