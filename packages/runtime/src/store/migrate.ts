import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import * as initial from "./migrations/0001_initial.js";
import type { Database } from "./schema.js";

/** Migrations in order. Names are permanent: never rename or edit one that has shipped. */
const migrations: Record<string, Migration> = {
  "0001_initial": initial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/**
 * Brings the schema to the latest version; a no-op when it is there already. Kysely serialises
 * migrators through a lock (an advisory lock on Postgres; SQLite's write lock), but two processes
 * can still race on creating the bookkeeping tables or upgrading a read lock, so a failed attempt
 * is retried: the loser then finds the work done.
 */
export async function migrateToLatest(db: Kysely<Database>, attempts = 8): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
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
