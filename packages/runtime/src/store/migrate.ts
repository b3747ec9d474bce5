import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { DialectName } from "./database.js";
import * as initial from "./migrations/0001_initial.js";
import * as apiKeyScopes from "./migrations/0002_api_key_scopes.js";
import * as auditLog from "./migrations/0003_audit_log.js";
import * as usersAndSessions from "./migrations/0004_users_and_sessions.js";
import * as secrets from "./migrations/0005_secrets.js";
import * as memoryKnowledgeVectors from "./migrations/0006_memory_knowledge_vectors.js";
import * as runs from "./migrations/0007_runs.js";
import * as mcpAndReviews from "./migrations/0008_mcp_and_reviews.js";
import * as toolKeyPins from "./migrations/0008b_tool_key_pins.js";
import * as workflows from "./migrations/0009_workflows.js";
import * as deployments from "./migrations/0010_deployments.js";
import * as httpInputsAndEndpoints from "./migrations/0011_http_inputs_and_endpoints.js";
import * as schedules from "./migrations/0012_schedules.js";
import * as reviewJudge from "./migrations/0012b_review_judge.js";
import * as memoryEncryption from "./migrations/0013_memory_encryption.js";
import type { Database } from "./schema.js";

/** Migrations in order. Names are permanent: never rename or edit one that has shipped. */
const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_api_key_scopes": apiKeyScopes,
  "0003_audit_log": auditLog,
  "0004_users_and_sessions": usersAndSessions,
  "0005_secrets": secrets,
  "0006_memory_knowledge_vectors": memoryKnowledgeVectors,
  "0007_runs": runs,
  "0008_mcp_and_reviews": mcpAndReviews,
  "0008b_tool_key_pins": toolKeyPins,
  "0009_workflows": workflows,
  "0010_deployments": deployments,
  "0011_http_inputs_and_endpoints": httpInputsAndEndpoints,
  "0012_schedules": schedules,
  "0012b_review_judge": reviewJudge,
  "0013_memory_encryption": memoryEncryption,
};

/** Every migration, in the order they apply. */
export const MIGRATION_NAMES = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Kysely looks its bookkeeping tables up by name in every schema, so on a Postgres database where
 * another schema already has them (several environments side by side through search_path) it would
 * skip creating its own. Naming the connection's current schema keeps each one separate.
 */
async function bookkeepingSchema(
  db: Kysely<Database>,
  dialect: DialectName,
): Promise<{ migrationTableSchema?: string }> {
  if (dialect !== "postgres") return {};
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema)
    throw new MigrationError("The Postgres search_path names no existing schema to create tables in");
  return { migrationTableSchema: schema };
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/**
 * Brings the schema to the latest version; a no-op when it is there already. Kysely serialises
 * migrators through a lock (an advisory lock on Postgres; SQLite's write lock), but two processes
 * can still race on creating the bookkeeping tables or upgrading a read lock, so a failed attempt
 * is retried: the loser then finds the work done.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: DialectName,
  attempts = 8,
): Promise<string[]> {
  const migrator = new Migrator({ db, provider, ...(await bookkeepingSchema(db, dialect)) });
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    lastError = error;
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
  }
  throw new MigrationError(
    `Database migration failed: ${(lastError as Error)?.message ?? String(lastError)}`,
  );
}
