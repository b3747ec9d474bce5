import type { Database as SqliteConnection, Statement } from "better-sqlite3";

export interface StatementCache {
  /** How many writing statements this connection has run; moves on every write of this process. */
  writes(): number;
}

/**
 * Kysely prepares every query afresh, and preparing costs more than running a small query. The
 * SQLite connection's `prepare` is wrapped to reuse statements by their SQL text. Reuse is safe
 * because Kysely holds a mutex on the one connection for each query (and for a streamed query's
 * whole iteration), so a statement is never run twice at once. Each writing statement's `run` is
 * counted on the way, which tells caches that this process changed something.
 */
export function cachePreparedStatements(connection: SqliteConnection, maxStatements = 500): StatementCache {
  const statements = new Map<string, Statement>();
  const prepare = connection.prepare.bind(connection);
  let writes = 0;
  connection.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      statement = prepare(source);
      if (!statement.reader) {
        const run = statement.run.bind(statement);
        statement.run = ((...parameters: unknown[]) => {
          writes += 1;
          return run(...parameters);
        }) as Statement["run"];
      }
      if (statements.size >= maxStatements) statements.delete(statements.keys().next().value as string);
      statements.set(source, statement);
    }
    return statement;
  }) as SqliteConnection["prepare"];
  return { writes: () => writes };
}
