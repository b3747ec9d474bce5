import type { MemoryFilter, MemoryLevel } from "@symbiont/protocol";
import type { Kysely, Selectable, SelectQueryBuilder } from "kysely";
import { storable } from "../retrieval/tokens.js";
import type { Database, MemoryTable } from "../store/schema.js";
import { type ContentSealing, memoryContext, PLAIN_CONTENT } from "./content-sealing.js";

export type MemoryRow = Selectable<MemoryTable>;

export interface MemoryCriteria {
  agentId: string;
  levels?: readonly MemoryLevel[] | null;
  /** Already case-folded. */
  contains?: string | null;
  importanceAtLeast?: number | null;
  from?: string | null;
  to?: string | null;
  filter?: MemoryFilter | null;
  ids?: readonly string[];
  conversationId?: string;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Every query filters by tenant; only live memories (not merged away, not expired) are found.
 * Rows come back with their content opened; sealed content is matched by `contains` here, after
 * opening, since the database holds no words of it.
 */
export class MemoryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly sealing: ContentSealing = PLAIN_CONTENT,
  ) {}

  /** The row with its content readable (a row already opened is returned as it is). */
  opened(row: MemoryRow): MemoryRow {
    if (!row.sealed) return row;
    return {
      ...row,
      content: this.sealing.open(row.content, row.sealed, memoryContext(row.tenant_id, row.id)),
      sealed: 0,
    };
  }

  private containsInSql(criteria: MemoryCriteria): boolean {
    return Boolean(criteria.contains) && !this.sealing.enabled;
  }

  /** Opens rows, and applies `contains` to them when the database could not. */
  private readable(rows: MemoryRow[], criteria: MemoryCriteria): MemoryRow[] {
    const opened = rows.map((row) => this.opened(row));
    if (!criteria.contains || this.containsInSql(criteria)) return opened;
    const needle = criteria.contains;
    return opened.filter((row) => storable(row.content.toLowerCase()).includes(needle));
  }

  live(
    tenantId: string,
    criteria: MemoryCriteria,
    now: string,
  ): SelectQueryBuilder<Database, "memories", object> {
    let query = this.db.selectFrom("memories").where("tenant_id", "=", tenantId);
    // Given ids, the agent is checked after the lookup (see findAmong): with it in the WHERE clause
    // SQLite walks the agent's index instead of looking the ids up by primary key.
    if (!criteria.ids) query = query.where("agent_id", "=", criteria.agentId);
    query = query
      .where("superseded_by", "is", null)
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
    if (criteria.levels && criteria.levels.length > 0)
      query = query.where("memory_level", "in", [...criteria.levels]);
    if (this.containsInSql(criteria))
      query = query.where(({ eb, val }) =>
        eb("content_folded", "like", val(`%${escapeLike(criteria.contains as string)}%`)),
      );
    if (criteria.importanceAtLeast != null)
      query = query.where("importance", ">=", criteria.importanceAtLeast);
    if (criteria.from) query = query.where("created_at", ">=", criteria.from);
    if (criteria.to) query = query.where("created_at", "<=", criteria.to);
    if (criteria.conversationId) query = query.where("conversation_id", "=", criteria.conversationId);
    if (criteria.ids) query = query.where("id", "in", criteria.ids.length > 0 ? [...criteria.ids] : [""]);
    const filter = criteria.filter ?? {};
    if (filter.id != null) query = query.where("id", "=", filter.id);
    if (filter.memory_type != null) query = query.where("memory_type", "=", filter.memory_type);
    if (filter.memory_level != null) query = query.where("memory_level", "=", filter.memory_level);
    if (filter.conversation_id != null) query = query.where("conversation_id", "=", filter.conversation_id);
    if (filter.parent_id != null) query = query.where("parent_id", "=", filter.parent_id);
    if (filter.importance_score != null) query = query.where("importance", "=", filter.importance_score);
    if (filter.access_count != null) query = query.where("access_count", "=", filter.access_count);
    return query;
  }

  /** Newest first. */
  async find(tenantId: string, criteria: MemoryCriteria, now: string, limit: number): Promise<MemoryRow[]> {
    const query = this.live(tenantId, criteria, now)
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy("id", "desc");
    if (criteria.contains && !this.containsInSql(criteria))
      return this.readable(await query.execute(), criteria).slice(0, limit);
    return this.readable(await query.limit(limit).execute(), criteria);
  }

  /**
   * The live memories among `ids` that meet the criteria, in no order; their content may still be
   * sealed (see opened()). Without an ORDER BY the
   * planner looks them up by primary key instead of walking the agent's whole created_at index.
   */
  async findAmong(
    tenantId: string,
    criteria: MemoryCriteria & { ids: readonly string[] },
    now: string,
  ): Promise<MemoryRow[]> {
    const rows = (await this.live(tenantId, criteria, now).selectAll().execute()).filter(
      (row) => row.agent_id === criteria.agentId,
    );
    // Ranking needs no content: rows stay sealed, and callers open the few they show (opened()).
    return criteria.contains && !this.containsInSql(criteria) ? this.readable(rows, criteria) : rows;
  }

  async count(tenantId: string, criteria: MemoryCriteria, now: string): Promise<number> {
    if (criteria.contains && !this.containsInSql(criteria)) {
      const rows = await this.live(tenantId, criteria, now).selectAll().execute();
      return this.readable(rows, criteria).length;
    }
    const row = await this.live(tenantId, criteria, now)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findById(tenantId: string, id: string): Promise<MemoryRow | undefined> {
    const row = await this.db
      .selectFrom("memories")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && this.opened(row);
  }

  async childrenOf(tenantId: string, parentIds: readonly string[]): Promise<Map<string, string[]>> {
    const children = new Map<string, string[]>();
    if (parentIds.length === 0) return children;
    const rows = await this.db
      .selectFrom("memories")
      .select(["id", "parent_id"])
      .where("tenant_id", "=", tenantId)
      .where("parent_id", "in", [...parentIds])
      .where("superseded_by", "is", null)
      .orderBy("created_at")
      .execute();
    for (const row of rows) {
      const list = children.get(row.parent_id as string) ?? [];
      list.push(row.id);
      children.set(row.parent_id as string, list);
    }
    return children;
  }

  async touch(tenantId: string, id: string, at: string): Promise<MemoryRow | undefined> {
    const row = await this.db
      .updateTable("memories")
      .set((eb) => ({ access_count: eb("access_count", "+", 1), last_accessed_at: at }))
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row && this.opened(row);
  }
}
