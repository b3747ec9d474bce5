import { mkdirSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { type ChangeVersion, sqliteChangeVersion } from "./change-version.js";
import type { Database } from "./schema.js";
import { cachePreparedStatements } from "./statement-cache.js";

export type DialectName = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data lives, for humans: a file path or a redacted URL. */
  readonly location: string;
  /** Changes whenever the data may have changed; undefined where that cannot be known cheaply. */
  readonly changeVersion: ChangeVersion | undefined;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
}

export const SQLITE_FILE_NAME = "symbiont.db";

/** Shows a database URL without its password. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://[unparseable url]";
  }
}

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SQLITE_FILE_NAME);
  // The busy timeout comes first, with the connection: a second process opening the same new file
  // must wait for the lock that switching to WAL takes, not fail with "database is locked".
  const connection = new BetterSqlite3(file, { timeout: 5_000 });
  // WAL lets readers run beside the writer; FULL sync makes every acknowledged write survive a crash
  // of the process or the machine.
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = FULL");
  connection.pragma("foreign_keys = ON");
  const statements = cachePreparedStatements(connection);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  return {
    db,
    dialect: "sqlite",
    location: file,
    changeVersion: sqliteChangeVersion(connection, statements),
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string): Promise<Store> {
  // Loaded only for Postgres: an embedded start should not pay for a driver it does not use.
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query gets a fresh connection.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: "postgres",
    location: redactDatabaseUrl(url),
    changeVersion: undefined,
    close: () => db.destroy(),
  };
}

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openSqlite(options.dataDir);
}

/** Round-trip to the database; used by readiness. */
export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
