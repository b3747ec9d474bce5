import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store/database.js";
import type { Database } from "../store/schema.js";
import { foldDiacritics, keywordsOf, storable } from "./tokens.js";

export interface KeywordHit {
  id: string;
  /** Higher is better; comparable only within one search. */
  score: number;
}

const MAX_QUERY_WORDS = 64;
/** A word in more than this share of all entries is left out of a query (BM25 gives it next to nothing). */
const COMMON_SHARE = 0.1;

/**
 * Keyword search per tenant and space: SQLite FTS5 ranked by BM25, or Postgres full text ranked the
 * BM25 way (each word's rank weighted by its inverse document frequency in the space), both with
 * English stemming besides the words as written and diacritics folded. A query matches entries
 * holding any of its words (OR), so one rare shared word is enough to be found: recall first, the
 * ranking and fusion sort it out. Both leave out of a large space's query the words nearly every
 * entry has, so "what is the zeppelin" ranks by "zeppelin" on either database.
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
        // FTS5 folds diacritics in its tokenizer; Postgres' would need the unaccent extension.
        const folded = foldDiacritics(body);
        await sql`insert into text_entries (tenant_id, space, id, body) values (${tenantId}, ${space}, ${id}, ${folded})
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
    const words = [...new Set(keywordsOf(query))].slice(0, MAX_QUERY_WORDS);
    if (words.length === 0) return [];
    if (this.dialect === "postgres") return this.searchPostgres(db, tenantId, space, words, limit);
    const match = (await this.informativeWords(db, words)).map((word) => `"${word}"`).join(" OR ");
    const result = await sql<{ id: string; rank: number }>`select e.id as id, bm25(text_fts) as rank
      from text_fts join text_entries e on e.entry_rowid = text_fts.rowid
      where text_fts match ${match} and e.tenant_id = ${tenantId} and e.space = ${space}
      order by rank limit ${limit}`.execute(db);
    // BM25 in FTS5 is negative, lower is better.
    return result.rows.map((row) => ({ id: row.id, score: -row.rank }));
  }

  /**
   * ts_rank alone knows nothing of how rare a word is, so "the" would weigh as much as "zeppelin".
   * Each word's entries in the space are counted; its rank is then weighted by BM25's inverse
   * document frequency, and words in more than COMMON_SHARE of a large space are left out, as on
   * SQLite.
   */
  private async searchPostgres(
    db: Kysely<Database>,
    tenantId: string,
    space: string,
    words: string[],
    limit: number,
  ): Promise<KeywordHit[]> {
    // Words as written, their English stems and their diacritic-free form (rows written before
    // folding keep their accents). plainto_tsquery reads no operators, whatever the word holds.
    const queries = words.map((word) => {
      const folded = foldDiacritics(word);
      const forms = folded === word ? [word] : [word, folded];
      return sql.join(
        forms.flatMap((form) => [
          sql`plainto_tsquery('english', ${form})`,
          sql`plainto_tsquery('simple', ${form})`,
        ]),
        sql` || `,
      );
    });
    const inSpace = sql`tenant_id = ${tenantId} and space = ${space}`;
    const totalRow = await sql<{
      n: string | number;
    }>`select count(*) as n from text_entries where ${inSpace}`.execute(db);
    const total = Number(totalRow.rows[0]?.n ?? 0);
    if (total === 0) return [];
    // Past COMMON_SHARE of a large space a word is left out whatever its count, so counting stops
    // there: each count is a GIN lookup bounded by the cap, not a walk through the space.
    const cap = total >= 1_000 ? Math.floor(total * COMMON_SHARE) + 1 : total;
    const counts = sql.join(
      queries.map(
        (q, i) =>
          sql`(select count(*) from (select 1 from text_entries where ${inSpace} and tsv @@ (${q}) limit ${cap}) hits) as ${sql.ref(`df${i}`)}`,
      ),
    );
    const stats = await sql<Record<string, string | number>>`select ${counts}`.execute(db);
    const row = stats.rows[0] ?? {};
    let chosen = words.map((_, i) => ({ i, df: Number(row[`df${i}`] ?? 0) })).filter((w) => w.df > 0);
    if (chosen.length === 0) return [];
    if (total >= 1_000) {
      const informative = chosen.filter((w) => w.df < cap);
      chosen = informative.length > 0 ? informative : [...chosen].sort((a, b) => a.df - b.df).slice(0, 2);
    }
    const weighted = chosen.map(({ i, df }) => {
      const idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
      // Normalisation 1 divides by 1 + log(length), BM25's length penalty in spirit.
      return sql`${idf}::float8 * ts_rank(tsv, ${queries[i]}, 1)`;
    });
    const any = sql.join(
      chosen.map(({ i }) => queries[i]),
      sql` || `,
    );
    const result = await sql<{
      id: string;
      score: number;
    }>`select id, (${sql.join(weighted, sql` + `)}) as score
      from text_entries
      where tenant_id = ${tenantId} and space = ${space} and tsv @@ (${any})
      order by score desc, id limit ${limit}`.execute(db);
    return result.rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }
}
