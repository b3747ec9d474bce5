import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store/database.js";
import type { Database } from "../store/schema.js";
import { storable, wordsOf } from "./tokens.js";

export interface KeywordHit {
  id: string;
  /** Higher is better; comparable only within one search. */
  score: number;
}

const MAX_QUERY_WORDS = 64;
/** A word in more than this share of all entries is left out of a query (BM25 gives it next to nothing). */
const COMMON_SHARE = 0.1;

/**
 * Keyword search per tenant and space: SQLite FTS5 ranked by BM25, or Postgres full text ranked by
 * ts_rank_cd, both with English stemming besides the words as written. A query matches entries holding any of its words (OR), so one rare shared word is
 * enough to be found: recall first, the ranking and fusion sort it out.
 */
export class KeywordIndex {
  constructor(private readonly dialect: DialectName) {}

  async put(
    db: Kysely<Database>,
    tenantId: string,
    space: string,
    entries: readonly { id: string; text: string }[],
  ): Promise<void> {
    for (const { id, text } of entries) {
      const body = storable(text);
      if (this.dialect === "postgres") {
        await sql`insert into text_entries (tenant_id, space, id, body) values (${tenantId}, ${space}, ${id}, ${body})
          on conflict (tenant_id, space, id) do update set body = excluded.body`.execute(db);
        continue;
      }
      const existing = await sql<{ entry_rowid: number }>`select entry_rowid from text_entries
        where tenant_id = ${tenantId} and space = ${space} and id = ${id}`.execute(db);
      const rowid = existing.rows[0]?.entry_rowid;
      if (rowid !== undefined) {
        await sql`update text_fts set body = ${body} where rowid = ${rowid}`.execute(db);
      } else {
        const inserted = await sql<{ entry_rowid: number }>`insert into text_entries (tenant_id, space, id)
          values (${tenantId}, ${space}, ${id}) returning entry_rowid`.execute(db);
        await sql`insert into text_fts (rowid, body) values (${inserted.rows[0]?.entry_rowid}, ${body})`.execute(
          db,
        );
      }
    }
  }

  async remove(db: Kysely<Database>, tenantId: string, space: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const batch = sql.join(ids.slice(i, i + 500).map((id) => sql`${id}`));
      if (this.dialect === "sqlite") {
        await sql`delete from text_fts where rowid in (select entry_rowid from text_entries
          where tenant_id = ${tenantId} and space = ${space} and id in (${batch}))`.execute(db);
      }
      await sql`delete from text_entries where tenant_id = ${tenantId} and space = ${space} and id in (${batch})`.execute(
        db,
      );
    }
  }

  async removeSpace(db: Kysely<Database>, tenantId: string, space: string): Promise<void> {
    if (this.dialect === "sqlite") {
      await sql`delete from text_fts where rowid in (select entry_rowid from text_entries
        where tenant_id = ${tenantId} and space = ${space})`.execute(db);
    }
    await sql`delete from text_entries where tenant_id = ${tenantId} and space = ${space}`.execute(db);
  }

  /**
   * The query's words minus those nearly every entry has: they add almost nothing to BM25 but make
   * FTS5 walk most of the index (5x slower at 100k entries). The rarest two stay if all are common.
   * Counts are over all tenants: they only choose words, never results.
   */
  private async informativeWords(db: Kysely<Database>, words: string[]): Promise<string[]> {
    const total = await sql<{ n: number | null }>`select max(entry_rowid) as n from text_entries`.execute(db);
    const entries = Number(total.rows[0]?.n ?? 0);
    if (entries < 1_000) return words;
    const list = sql.join(words.map((word) => sql`${word}`));
    const counts = await sql<{
      term: string;
      doc: number;
    }>`select term, doc from text_fts_vocab where term in (${list})`.execute(db);
    const frequency = new Map(counts.rows.map((row) => [row.term, row.doc]));
    const informative = words.filter((word) => (frequency.get(word) ?? 0) <= entries * COMMON_SHARE);
    if (informative.length > 0) return informative;
    return [...words].sort((a, b) => (frequency.get(a) ?? 0) - (frequency.get(b) ?? 0)).slice(0, 2);
  }

  async search(
    db: Kysely<Database>,
    tenantId: string,
    space: string,
    query: string,
    limit: number,
  ): Promise<KeywordHit[]> {
    // Only letters and digits reach the query language, so no input can inject operators.
    const words = [...new Set(wordsOf(query))].slice(0, MAX_QUERY_WORDS);
    if (words.length === 0) return [];
    if (this.dialect === "postgres") {
      const tsquery = words.join(" | ");
      const result = await sql<{ id: string; score: number }>`select id, ts_rank_cd(tsv, q) as score
        from text_entries, (select to_tsquery('english', ${tsquery}) || to_tsquery('simple', ${tsquery}) as q) query
        where tenant_id = ${tenantId} and space = ${space} and tsv @@ q
        order by score desc, id limit ${limit}`.execute(db);
      return result.rows.map((row) => ({ id: row.id, score: Number(row.score) }));
    }
    const match = (await this.informativeWords(db, words)).map((word) => `"${word}"`).join(" OR ");
    const result = await sql<{ id: string; rank: number }>`select e.id as id, bm25(text_fts) as rank
      from text_fts join text_entries e on e.entry_rowid = text_fts.rowid
      where text_fts match ${match} and e.tenant_id = ${tenantId} and e.space = ${space}
      order by rank limit ${limit}`.execute(db);
    // BM25 in FTS5 is negative, lower is better.
    return result.rows.map((row) => ({ id: row.id, score: -row.rank }));
  }
}
