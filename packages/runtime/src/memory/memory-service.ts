import { randomUUID } from "node:crypto";
import {
  type ConversationContext,
  type MemoryConversationQuery,
  type MemoryDeletedResponse,
  type MemoryFilter,
  type MemoryGetQuery,
  type MemoryLevel,
  type MemoryListQuery,
  type MemoryNode,
  type MemoryResponse,
  type MemorySearchRequest,
  type MemorySearchResponse,
  type MemoryStoreRequest,
  type MemoryType,
  toIsoUtc,
} from "@symbiont/protocol";
import type { Kysely } from "kysely";
import type { Embedder } from "../embedders/embedder.js";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { reciprocalRankFusion } from "../retrieval/fusion.js";
import type { KeywordIndex } from "../retrieval/keyword-index.js";
import { estimateTokens, storable } from "../retrieval/tokens.js";
import { AppError, notFound } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import type { Database } from "../store/schema.js";
import type { VectorWrites } from "../vectors/embedded-vector-store.js";
import { dot } from "../vectors/vector-codec.js";
import type { VectorStore } from "../vectors/vector-store.js";
import { memoryContext } from "./content-sealing.js";
import type { MemoryCriteria, MemoryRepository, MemoryRow } from "./memory-repository.js";
import { computedImportance, recencyOf, textOfContent } from "./memory-text.js";

export const memorySpace = (agentId: string) => `memory:${agentId}`;

export interface MemoryOptions {
  /** How long short-term memories live; 0 for ever. */
  shortTermTtlSeconds: number;
}

/** How many candidates each retriever contributes before fusion, at least (twice the page otherwise). */
const CANDIDATES = 100;
const DEFAULT_CONTEXT_TOKENS = 2_000;

export interface RankedMemory {
  row: MemoryRow;
  score: number;
  similarity: number;
}

/**
 * Hierarchical agent memory. Every memory lives in three places that change together in one
 * transaction: its row, the keyword index and the vector index of its agent's space.
 */
export class MemoryService {
  constructor(
    private readonly store: Store,
    private readonly memories: MemoryRepository,
    private readonly vectors: VectorStore,
    private readonly keywords: KeywordIndex,
    private readonly embedder: Embedder,
    private readonly options: MemoryOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async add(scope: Scope, input: MemoryStoreRequest): Promise<MemoryResponse> {
    const [node] = await this.addMany(scope, [input]);
    return { memory: node as MemoryNode, success: true, message: "Memory stored" };
  }

  /** Stores several memories in one transaction per agent (imports, and the benchmark's bulk load). */
  async addMany(scope: Scope, inputs: readonly MemoryStoreRequest[]): Promise<MemoryNode[]> {
    for (const input of inputs) this.requireWritable(scope, input.agent_id);
    const at = this.now();
    const ttl = this.options.shortTermTtlSeconds;
    const texts = inputs.map((input) => textOfContent(input.content));
    const vectors = await this.embedder.embed(texts);
    const rows: MemoryRow[] = inputs.map((input) => ({
      tenant_id: scope.tenantId,
      id: randomUUID(),
      agent_id: input.agent_id,
      content: JSON.stringify(input.content),
      content_folded: storable(JSON.stringify(input.content).toLowerCase()),
      memory_type: input.memory_type,
      memory_level: input.memory_level,
      conversation_id: input.conversation_id ?? null,
      parent_id: input.parent_id ?? null,
      importance: input.importance_score ?? computedImportance(input.memory_type, input.memory_level),
      access_count: 0,
      metadata: JSON.stringify(input.metadata ?? {}),
      created_at: at.toISOString(),
      last_accessed_at: null,
      expires_at:
        input.memory_level === "short_term" && ttl > 0
          ? new Date(at.getTime() + ttl * 1000).toISOString()
          : null,
      superseded_by: null,
      sealed: 0,
    }));
    const byAgent = new Map<string, number[]>();
    rows.forEach((row, i) => {
      byAgent.set(row.agent_id, [...(byAgent.get(row.agent_id) ?? []), i]);
    });
    for (const [agentId, indexes] of byAgent) {
      const space = memorySpace(agentId);
      await this.vectors.write(scope.tenantId, [space], (trx, writes) =>
        this.insertIn(
          trx,
          writes,
          scope.tenantId,
          agentId,
          indexes.map((j) => ({
            row: rows[j] as MemoryRow,
            text: texts[j] as string,
            vector: vectors[j] as Float32Array,
          })),
        ),
      );
    }
    return this.nodes(scope, rows);
  }

  /** A row read straight from the table, with its content readable. */
  readable(row: MemoryRow): MemoryRow {
    return this.memories.opened(row);
  }

  /**
   * New memories of one agent inside the caller's vector-store transaction: their rows, keyword
   * entries and vectors, so all three commit (or not) together.
   */
  async insertIn(
    trx: Kysely<Database>,
    writes: VectorWrites,
    tenantId: string,
    agentId: string,
    entries: readonly { row: MemoryRow; text: string; vector: Float32Array }[],
  ): Promise<void> {
    const space = memorySpace(agentId);
    const sealing = this.memories.sealing;
    const stored = entries.map(({ row }) => {
      const { stored: content, sealed } = sealing.seal(row.content, memoryContext(tenantId, row.id));
      // Sealed content leaves nothing readable behind: `contains` is matched after opening.
      return { ...row, content, sealed, content_folded: sealed ? "" : row.content_folded };
    });
    for (let i = 0; i < stored.length; i += 200) {
      await trx
        .insertInto("memories")
        .values(stored.slice(i, i + 200))
        .execute();
    }
    await this.keywords.put(
      trx,
      tenantId,
      space,
      entries.map((e) => ({ id: e.row.id, text: sealing.keywordText(e.text) })),
    );
    await writes.ensureSpace(space, {
      dimensions: await this.embedder.dimensions(),
      distance: "cosine",
      embedder: this.embedder.id,
    });
    await writes.put(
      space,
      entries.map((e) => ({ id: e.row.id, vector: e.vector })),
    );
  }

  /** One memory: by id, or the newest matching the filters. Reading it counts as a recall. */
  async get(scope: Scope, query: MemoryGetQuery): Promise<MemoryResponse> {
    if (!scopeReachesAgent(scope, query.agent_id)) throw notFound("Memory");
    const nowIso = this.now().toISOString();
    const filter: MemoryFilter = {
      id: query.memory_id ?? null,
      memory_type: query.memory_type ?? null,
      memory_level: query.memory_level ?? null,
      conversation_id: query.conversation_id ?? null,
      parent_id: query.parent_id ?? null,
    };
    const [found] = await this.memories.find(scope.tenantId, { agentId: query.agent_id, filter }, nowIso, 1);
    if (!found)
      throw notFound(query.memory_id ? `Memory "${query.memory_id}"` : "A memory matching these filters");
    const touched = (await this.memories.touch(scope.tenantId, found.id, nowIso)) ?? found;
    return { memory: (await this.nodes(scope, [touched]))[0] as MemoryNode, success: true, message: null };
  }

  async search(scope: Scope, request: MemorySearchRequest): Promise<MemorySearchResponse> {
    const started = performance.now();
    if (!scopeReachesAgent(scope, request.agent_id)) return this.emptySearch(started);
    const criteria: MemoryCriteria = {
      agentId: request.agent_id,
      levels: request.memory_levels ?? null,
      contains: request.content_contains ? storable(request.content_contains.toLowerCase()) : null,
      importanceAtLeast: request.importance_threshold ?? null,
      from: request.time_range?.start ? toIsoUtc(request.time_range.start) : null,
      to: request.time_range?.end ? toIsoUtc(request.time_range.end) : null,
      filter: typeof request.query === "object" ? request.query : null,
    };
    if (typeof request.query === "string") {
      const ranked = await this.rank(
        scope,
        request.query,
        criteria,
        request.similarity_threshold ?? null,
        request.limit,
      );
      const page = ranked.slice(0, request.limit);
      const nodes = await this.nodes(
        scope,
        page.map((r) => r.row),
      );
      nodes.forEach((node, i) => {
        node.score = (page[i] as RankedMemory).score;
      });
      return this.searchResponse(nodes, ranked.length, started);
    }
    const nowIso = this.now().toISOString();
    const [rows, total] = await Promise.all([
      this.memories.find(scope.tenantId, criteria, nowIso, request.limit),
      this.memories.count(scope.tenantId, criteria, nowIso),
    ]);
    return this.searchResponse(await this.nodes(scope, rows), total, started);
  }

  async list(scope: Scope, query: MemoryListQuery): Promise<MemorySearchResponse> {
    const started = performance.now();
    if (!scopeReachesAgent(scope, query.agent_id)) return this.emptySearch(started);
    const nowIso = this.now().toISOString();
    const criteria = { agentId: query.agent_id };
    const [rows, total] = await Promise.all([
      this.memories.find(scope.tenantId, criteria, nowIso, query.limit),
      this.memories.count(scope.tenantId, criteria, nowIso),
    ]);
    return this.searchResponse(await this.nodes(scope, rows), total, started);
  }

  /**
   * The conversation's recent turns (up to 60% of the budget, in order) plus the agent's memories
   * most relevant to them from outside the conversation, until the token budget is spent.
   */
  async conversation(scope: Scope, query: MemoryConversationQuery): Promise<ConversationContext> {
    const at = this.now().toISOString();
    const empty: ConversationContext = {
      conversation_id: query.conversation_id,
      agent_id: query.agent_id,
      memories: [],
      context_summary: null,
      created_at: at,
      updated_at: at,
      metadata: {},
    };
    if (!scopeReachesAgent(scope, query.agent_id)) return empty;
    const budget = query.max_tokens ?? DEFAULT_CONTEXT_TOKENS;
    const turns = await this.memories.find(
      scope.tenantId,
      { agentId: query.agent_id, conversationId: query.conversation_id },
      at,
      500,
    );
    const recent: MemoryRow[] = [];
    let used = 0;
    for (const row of turns) {
      const cost = estimateTokens(textOfContent(JSON.parse(row.content)));
      if (used + cost > budget * 0.6 && recent.length > 0) break;
      recent.push(row);
      used += cost;
    }
    recent.reverse();
    const related: MemoryRow[] = [];
    if (recent.length > 0) {
      const cue = recent
        .slice(-3)
        .map((row) => textOfContent(JSON.parse(row.content)))
        .join("\n");
      const ranked = await this.rank(scope, cue, { agentId: query.agent_id }, null);
      for (const ranking of ranked) {
        if (ranking.row.conversation_id === query.conversation_id) continue;
        const row = this.memories.opened(ranking.row);
        const cost = estimateTokens(textOfContent(JSON.parse(row.content)));
        if (used + cost > budget) continue;
        related.push(row);
        used += cost;
      }
    }
    if (recent.length === 0) return empty;
    return {
      ...empty,
      memories: await this.nodes(scope, [...recent, ...related]),
      context_summary: `${recent.length} recent turn${recent.length === 1 ? "" : "s"} and ${related.length} related memor${related.length === 1 ? "y" : "ies"}, about ${used} tokens`,
      created_at: (recent[0] as MemoryRow).created_at,
      updated_at: (recent.at(-1) as MemoryRow).created_at,
      metadata: {
        token_budget: budget,
        token_estimate: used,
        recent_turns: recent.length,
        related_memories: related.length,
      },
    };
  }

  /** Forgets a memory everywhere: row, keyword index and vector index, in one transaction. */
  async delete(scope: Scope, id: string): Promise<MemoryDeletedResponse> {
    const row = await this.memories.findById(scope.tenantId, id);
    if (!row || !scopeReachesAgent(scope, row.agent_id)) throw notFound(`Memory "${id}"`);
    const space = memorySpace(row.agent_id);
    const deleted = await this.vectors.write(scope.tenantId, [space], async (trx, vectors) => {
      const result = await trx
        .deleteFrom("memories")
        .where("tenant_id", "=", scope.tenantId)
        .where("id", "=", id)
        .executeTakeFirst();
      await this.keywords.remove(trx, scope.tenantId, space, [id]);
      await vectors.remove(space, [id]);
      return Number(result.numDeletedRows) === 1;
    });
    if (!deleted) throw notFound(`Memory "${id}"`);
    return { deleted: true, memory_id: id };
  }

  /**
   * Hybrid ranking of an agent's live memories: vector and keyword candidates fused by reciprocal
   * rank, then weighted by importance and recency (70 / 15 / 15). Rows may be sealed: open the ones
   * used with readable().
   */
  async rank(
    scope: Scope,
    text: string,
    criteria: MemoryCriteria,
    threshold: number | null,
    wanted = 50,
  ): Promise<RankedMemory[]> {
    const candidates = Math.min(1_000, Math.max(CANDIDATES, wanted * 2));
    const space = memorySpace(criteria.agentId);
    const [query] = await this.embedder.embed([text]);
    const [semantic, lexical] = await Promise.all([
      this.vectors.search(scope.tenantId, space, query as Float32Array, candidates),
      this.keywords.search(
        this.store.db,
        scope.tenantId,
        space,
        this.memories.sealing.keywordText(text),
        candidates,
      ),
    ]);
    const fused = reciprocalRankFusion([semantic.hits.map((h) => h.id), lexical.map((h) => h.id)]);
    if (fused.size === 0) return [];
    const rows = await this.memories.findAmong(
      scope.tenantId,
      { ...criteria, ids: [...fused.keys()] },
      this.now().toISOString(),
    );
    const similarity = new Map(semantic.hits.map((h) => [h.id, h.score]));
    // Keyword-only hits need their vector's similarity only when a threshold applies to it.
    const missing =
      threshold === null ? [] : rows.filter((row) => !similarity.has(row.id)).map((row) => row.id);
    if (missing.length > 0) {
      const stored = await this.vectors.vectorsOf(scope.tenantId, space, missing);
      for (const [id, vector] of stored) similarity.set(id, dot(query as Float32Array, vector));
    }
    const best = 2 / 61;
    const now = this.now().getTime();
    return rows
      .map((row) => ({
        row,
        similarity: similarity.get(row.id) ?? 0,
        score:
          0.7 * ((fused.get(row.id) ?? 0) / best) +
          0.15 * row.importance +
          0.15 * recencyOf(row.created_at, now),
      }))
      .filter((r) => threshold === null || r.similarity >= threshold)
      .sort((a, b) => b.score - a.score);
  }

  private emptySearch(started: number): MemorySearchResponse {
    return this.searchResponse([], 0, started);
  }

  private searchResponse(memories: MemoryNode[], total: number, started: number): MemorySearchResponse {
    return {
      memories,
      total_count: total,
      search_time_ms: performance.now() - started,
      success: true,
      message: null,
    };
  }

  private requireWritable(scope: Scope, agentId: string): void {
    if (!scopeReachesAgent(scope, agentId)) {
      throw new AppError(
        "FORBIDDEN",
        `This credential is limited to other agents and cannot write memories of "${agentId}"`,
        {
          agent_id: agentId,
        },
      );
    }
  }

  async nodes(scope: Scope, found: readonly MemoryRow[]): Promise<MemoryNode[]> {
    const rows = found.map((row) => this.memories.opened(row));
    const children = await this.memories.childrenOf(
      scope.tenantId,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      id: row.id,
      content: JSON.parse(row.content) as Record<string, unknown>,
      memory_type: row.memory_type as MemoryType,
      memory_level: row.memory_level as MemoryLevel,
      timestamp: row.created_at,
      agent_id: row.agent_id,
      conversation_id: row.conversation_id,
      parent_id: row.parent_id,
      last_accessed: row.last_accessed_at,
      children_ids: children.get(row.id) ?? [],
      importance_score: row.importance,
      access_count: row.access_count,
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
      expires_at: row.expires_at,
    }));
  }
}
