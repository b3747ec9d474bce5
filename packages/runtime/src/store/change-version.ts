import type { Database as SqliteConnection } from "better-sqlite3";
import type { StatementCache } from "./statement-cache.js";

/**
 * A value that changes whenever anything may have been written to the database, by this process
 * or any other: SQLite's `data_version` moves when another connection commits, the statement
 * cache's write count when this process runs a writing statement (one that is rolled back counts
 * too, which only costs a cache miss). Reading it is far cheaper than the queries it guards.
 */
export type ChangeVersion = () => string;

export function sqliteChangeVersion(connection: SqliteConnection, statements: StatementCache): ChangeVersion {
  const dataVersion = connection.prepare("PRAGMA data_version").pluck();
  return () => `${dataVersion.get() as number}:${statements.writes()}`;
}
