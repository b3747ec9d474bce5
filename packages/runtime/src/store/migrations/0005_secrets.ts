import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // One row per secret: its metadata and which version is current. Values live in secret_versions.
  await db.schema
    .createTable("secrets")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("current_version", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("secrets_pk", ["tenant_id", "agent_id", "name"])
    .execute();
  // Each version's value as its backend keeps it: AES-GCM ciphertext, or a reference into Vault or
  // the OS keychain. Never plaintext.
  await db.schema
    .createTable("secret_versions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("agent_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("backend", "text", (c) => c.notNull())
    .addColumn("sealed", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("retires_at", "text")
    .addPrimaryKeyConstraint("secret_versions_pk", ["tenant_id", "agent_id", "name", "version"])
    .execute();
  // Which backend stores a tenant's new secrets; the Vault settings (with credentials) are sealed.
  await db.schema
    .createTable("secret_backends")
    .addColumn("tenant_id", "text", (c) => c.primaryKey())
    .addColumn("backend_type", "text", (c) => c.notNull())
    .addColumn("vault_config", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  // How to recognise the master key (never the key): a wrong key then fails at start.
  await db.schema
    .createTable("secret_key_check")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kdf", "text", (c) => c.notNull())
    .addColumn("salt", "text", (c) => c.notNull())
    .addColumn("check_value", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("secret_key_check").execute();
  await db.schema.dropTable("secret_backends").execute();
  await db.schema.dropTable("secret_versions").execute();
  await db.schema.dropTable("secrets").execute();
}
