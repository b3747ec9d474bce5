import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { Kysely, PostgresDialect } from "kysely";
import type { Store } from "../../packages/runtime/src/store/database.js";
import type { Database } from "../../packages/runtime/src/store/schema.js";

/**
 * A Store over PGlite (Postgres compiled to WebAssembly, in process) with pgvector loaded: the
 * runtime's Postgres SQL runs unchanged through Kysely's Postgres dialect. The machine's Postgres
 * has no pgvector, so this is where pgvector's SQL is exercised. PGlite is one connection: the pool
 * hands it to one borrower at a time, like a pool of size one.
 */
export async function openPgliteStore(): Promise<Store & { pglite: PGlite }> {
  const pglite = await PGlite.create({ extensions: { vector } });
  await pglite.exec("create extension if not exists vector");
  const waiting: (() => void)[] = [];
  let busy = false;
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };
  const client = {
    async query(text: string, parameters: unknown[] = []) {
      const result = await pglite.query(text, parameters);
      return {
        rows: result.rows,
        rowCount: result.affectedRows ?? result.rows.length,
        command: text.trimStart().split(/\s+/, 1)[0]?.toUpperCase() ?? "",
      };
    },
    release,
  };
  const pool = {
    async connect() {
      if (busy) await new Promise<void>((resolve) => waiting.push(resolve));
      busy = true;
      return client;
    },
    async end() {
      await pglite.close();
    },
  };
  // biome-ignore lint/suspicious/noExplicitAny: the structural pool Kysely needs, over PGlite
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as any }) });
  return {
    db,
    dialect: "postgres",
    location: "pglite (in memory)",
    changeVersion: undefined,
    close: () => db.destroy(),
    pglite,
  };
}
