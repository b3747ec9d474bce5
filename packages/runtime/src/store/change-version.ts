import type { Database as SqliteConnection } from "better-sqlite3";
import type { StatementCache } from "./statement-cache.js";

/**
 * A value that changes whenever anything may have been written to the database, by this process
 * or any other: SQLite's `data_version` moves when another connection commits, the statement
 * cache's write count when this process runs a writing statement (one that is rolled back counts
 * too, which only costs a cache miss).
 */
export type ChangeVersion = () => string;

/**
 * How long another connection's commit may go unseen. Asking SQLite (`PRAGMA data_version`) costs a
 * few microseconds, a sixth of a cached read; asking at most once a millisecond makes it free under
 * load, while a write by another process (a second runtime, an admin's sqlite3 shell) still shows
 * within a millisecond. This process's own writes are counted live and always show at once.
 */
export const OTHER_CONNECTION_STALENESS_MS = 1;

export function sqliteChangeVersion(connection: SqliteConnection, statements: StatementCache): ChangeVersion {
  const dataVersion = connection.prepare("PRAGMA data_version").pluck();
  // Within one synchronous job the value stays put, so every read in it sees one consistent view:
  // nothing else in this process runs within a job.
  let otherWrites = 0;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let inJob = false;
  const endJob = () => {
    inJob = false;
  };
  return () => {
    if (!inJob) {
      inJob = true;
      queueMicrotask(endJob);
      const now = performance.now();
      if (now - checkedAt >= OTHER_CONNECTION_STALENESS_MS) {
        otherWrites = dataVersion.get() as number;
        checkedAt = now;
      }
    }
    return `${otherWrites}:${statements.writes()}`;
  };
}
