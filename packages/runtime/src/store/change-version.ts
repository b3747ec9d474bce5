import type { Database as SqliteConnection } from "better-sqlite3";
import type { StatementCache } from "./statement-cache.js";

/**
 * A value that changes whenever anything may have been written to the database, by this process
 * or any other: SQLite's `data_version` moves when another connection commits, the statement
 * cache's write count when this process runs a writing statement (one that is rolled back counts
 * too, which only costs a cache miss).
 */
export type ChangeVersion = () => string;

export function sqliteChangeVersion(connection: SqliteConnection, statements: StatementCache): ChangeVersion {
  const dataVersion = connection.prepare("PRAGMA data_version").pluck();
  // Another process's commits are read once per synchronous job: nothing else in this process runs
  // within a job, so every read in it sees the database as of the job's start, a consistent view.
  // This process's own writes are counted live and always show at once.
  let otherWrites: number | undefined;
  const forget = () => {
    otherWrites = undefined;
  };
  return () => {
    if (otherWrites === undefined) {
      otherWrites = dataVersion.get() as number;
      queueMicrotask(forget);
    }
    return `${otherWrites}:${statements.writes()}`;
  };
}
