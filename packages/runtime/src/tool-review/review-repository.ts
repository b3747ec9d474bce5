import type { Selectable, Updateable } from "kysely";
import type { Store } from "../store/database.js";
import type { ToolAnalysisTable, ToolReviewTable, ToolSigningKeyTable } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";

export type ReviewRow = Selectable<ToolReviewTable>;
export type AnalysisRow = Selectable<ToolAnalysisTable>;
export type SigningKeyRow = Selectable<ToolSigningKeyTable>;

export interface ReviewFilter {
  status?: string | undefined;
  author?: string | undefined;
  server?: string | undefined;
}

/** Reviews, analyses and signing keys. Reviews and analyses are filtered by tenant in every query. */
export class ReviewRepository {
  constructor(private readonly store: Store) {}

  async insert(row: ReviewRow): Promise<void> {
    await this.store.db.insertInto("tool_reviews").values(row).execute();
  }

  get(tenantId: string, id: string): Promise<ReviewRow | undefined> {
    return this.store.db
      .selectFrom("tool_reviews")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /**
   * Moves a review from one of `from` to a new state, atomically: the compare-and-set keeps two
   * deciders (or a decider and the analyzer) from both winning. Answers the row after, or undefined
   * when the review was not in one of `from`.
   */
  async transition(
    tenantId: string,
    id: string,
    from: readonly string[],
    change: Updateable<ToolReviewTable>,
  ): Promise<ReviewRow | undefined> {
    return withWriteLock(this.store, `tool-review:${tenantId}:${id}`, async (trx) => {
      const result = await trx
        .updateTable("tool_reviews")
        .set(change)
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .where("status", "in", [...from])
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      return trx
        .selectFrom("tool_reviews")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .executeTakeFirst();
    });
  }

  async revoke(tenantId: string, id: string, at: string): Promise<ReviewRow | undefined> {
    const result = await this.store.db
      .updateTable("tool_reviews")
      .set({ revoked_at: at, updated_at: at })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .where("status", "=", "signed")
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? this.get(tenantId, id) : undefined;
  }

  async page(
    tenantId: string,
    filter: ReviewFilter,
    page: number,
    limit: number,
  ): Promise<{ rows: ReviewRow[]; total: number }> {
    let query = this.store.db.selectFrom("tool_reviews").where("tenant_id", "=", tenantId);
    if (filter.status) query = query.where("status", "=", filter.status);
    if (filter.author) query = query.where("submitted_by", "=", filter.author);
    if (filter.server) query = query.where("mcp_server", "=", filter.server);
    const counted = await query.select((eb) => eb.fn.countAll<string | number>().as("n")).executeTakeFirst();
    const rows = await query
      .selectAll()
      .orderBy("submitted_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .offset((page - 1) * limit)
      .execute();
    return { rows, total: Number(counted?.n ?? 0) };
  }

  /** Reviews of exactly this definition, newest first (the gate's look-up). */
  byHash(tenantId: string, hash: string): Promise<ReviewRow[]> {
    return this.store.db
      .selectFrom("tool_reviews")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("definition_hash", "=", hash)
      .orderBy("submitted_at", "desc")
      .execute();
  }

  /** The newest review of a server's tool by name, whatever its definition. */
  latestForServerTool(tenantId: string, server: string, toolName: string): Promise<ReviewRow | undefined> {
    return this.store.db
      .selectFrom("tool_reviews")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("mcp_server", "=", server)
      .where("tool_name", "=", toolName)
      .orderBy("submitted_at", "desc")
      .orderBy("id", "desc")
      .executeTakeFirst();
  }

  async insertAnalysis(row: AnalysisRow): Promise<void> {
    await this.store.db.insertInto("tool_analyses").values(row).execute();
  }

  analysis(tenantId: string, id: string): Promise<AnalysisRow | undefined> {
    return this.store.db
      .selectFrom("tool_analyses")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  signingKeys(): Promise<SigningKeyRow[]> {
    return this.store.db.selectFrom("tool_signing_keys").selectAll().orderBy("created_at").execute();
  }

  /** Marks every live key revoked; answers their ids. */
  async revokeSigningKeys(at: string): Promise<string[]> {
    const live = await this.store.db
      .selectFrom("tool_signing_keys")
      .select("id")
      .where("revoked_at", "is", null)
      .execute();
    await this.store.db
      .updateTable("tool_signing_keys")
      .set({ revoked_at: at })
      .where("revoked_at", "is", null)
      .execute();
    return live.map((k) => k.id);
  }

  async insertSigningKey(row: SigningKeyRow): Promise<void> {
    await this.store.db
      .insertInto("tool_signing_keys")
      .values(row)
      .onConflict((c) => c.column("id").doNothing())
      .execute();
  }
}
