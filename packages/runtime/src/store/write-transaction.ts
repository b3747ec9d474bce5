import { type Kysely, sql, type Transaction } from "kysely";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

/**
 * Runs `work` in a transaction that holds the write lock from its first statement, so a
 * read-then-write inside it (the head of a chain, then the next entry) cannot interleave with
 * another writer. SQLite: BEGIN IMMEDIATE, which also makes another process wait out the busy
 * timeout instead of failing when it upgrades a read lock. Postgres: an advisory lock on `lockKey`.
 */
export async function withWriteLock<T>(
  store: Store,
  lockKey: string,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === "postgres") {
    return store.db.transaction().execute(async (trx: Transaction<Database>) => {
      await sql`select pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
      return work(trx);
    });
  }
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}
