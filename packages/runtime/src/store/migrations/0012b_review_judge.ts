import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not follow the current Database type
export async function up(db: Kysely<any>): Promise<void> {
  // What the optional LLM judge said about a tool (JSON), or why it could not: null when no judge
  // was configured for the analysis.
  await db.schema.alterTable("tool_analyses").addColumn("judge", "text").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("tool_analyses").dropColumn("judge").execute();
}
