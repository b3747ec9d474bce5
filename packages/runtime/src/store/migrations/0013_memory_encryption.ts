import type { Kysely } from "kysely";

const TABLES = ["memories", "knowledge_items", "knowledge_chunks"] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // 1 when the row's content is sealed (memoryEncryption): the flag, not the text's shape, says how
  // to read it, since plain text may look like anything.
  for (const table of TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn("sealed", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.alterTable(table).dropColumn("sealed").execute();
}
