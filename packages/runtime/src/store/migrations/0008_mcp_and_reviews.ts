import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // A tenant's registered MCP servers. `config` is JSON; env and header values may be secret
  // references, which are resolved only at connect time and never stored resolved.
  await db.schema
    .createTable("mcp_servers")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("mcp_servers_pk", ["tenant_id", "name"])
    .execute();
  // One row per review of one tool definition, through analysis, decision and signing.
  await db.schema
    .createTable("tool_reviews")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("tool_name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("tool_schema", "text", (c) => c.notNull())
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("definition_hash", "text", (c) => c.notNull())
    .addColumn("mcp_server", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("priority", "text", (c) => c.notNull())
    .addColumn("submitted_by", "text", (c) => c.notNull())
    .addColumn("submitted_at", "text", (c) => c.notNull())
    .addColumn("analysis_id", "text")
    .addColumn("analysis_completed_at", "text")
    .addColumn("risk_score", "integer")
    .addColumn("review_started_at", "text")
    .addColumn("human_reviewer_id", "text")
    .addColumn("decided_by", "text")
    .addColumn("decision_comments", "text")
    .addColumn("decided_at", "text")
    .addColumn("signature", "text")
    .addColumn("signed_at", "text")
    .addColumn("key_id", "text")
    .addColumn("signer_id", "text")
    .addColumn("revoked_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("tool_reviews_pk", ["tenant_id", "id"])
    .execute();
  await db.schema
    .createIndex("tool_reviews_by_time")
    .on("tool_reviews")
    .columns(["tenant_id", "submitted_at"])
    .execute();
  // The gate looks reviews up by what the tool is now: its definition hash.
  await db.schema
    .createIndex("tool_reviews_by_hash")
    .on("tool_reviews")
    .columns(["tenant_id", "definition_hash"])
    .execute();
  await db.schema
    .createTable("tool_analyses")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("review_id", "text", (c) => c.notNull())
    .addColumn("risk_score", "integer", (c) => c.notNull())
    .addColumn("findings", "text", (c) => c.notNull())
    .addColumn("recommendations", "text", (c) => c.notNull())
    .addColumn("analyzer", "text", (c) => c.notNull())
    .addColumn("duration_ms", "real", (c) => c.notNull())
    .addColumn("completed_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("tool_analyses_pk", ["tenant_id", "id"])
    .execute();
  // The runtime's own SchemaPin signing keys (instance-wide); the private key is sealed with the
  // secrets layer's master key, never stored in the clear.
  await db.schema
    .createTable("tool_signing_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("public_key_pem", "text", (c) => c.notNull())
    .addColumn("private_key_sealed", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("tool_signing_keys").execute();
  await db.schema.dropTable("tool_analyses").execute();
  await db.schema.dropTable("tool_reviews").execute();
  await db.schema.dropTable("mcp_servers").execute();
}
