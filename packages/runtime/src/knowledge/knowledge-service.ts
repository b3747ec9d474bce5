import {
  type ContextQuery,
  type ContextResponse,
  type KnowledgeAddedResponse,
  type KnowledgeDeletedResponse,
  type KnowledgeItem,
  type KnowledgeItemOut,
  type KnowledgeSourceType,
  toIsoUtc,
  type VectorSearchRequest,
  type VectorSearchResponse,
} from "@symbiont/protocol";
import type { Selectable } from "kysely";
import type { Embedder } from "../embedders/embedder.js";
import type { Scope } from "../identity/scope.js";
import {
  type ContentSealing,
  knowledgeChunkContext,
  knowledgeItemContext,
  PLAIN_CONTENT,
} from "../memory/content-sealing.js";
import type { MemoryService } from "../memory/memory-service.js";
import { textOfContent } from "../memory/memory-text.js";
import { hybridSearch } from "../retrieval/hybrid-search.js";
import type { KeywordIndex } from "../retrieval/keyword-index.js";
import { estimateTokens } from "../retrieval/tokens.js";
import { notFound } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import type { KnowledgeItemTable } from "../store/schema.js";
import type { VectorStore } from "../vectors/vector-store.js";
import { chunkText } from "./chunking.js";

export const KNOWLEDGE_SPACE = "knowledge";
export const chunkId = (itemId: string, index: number) => `${itemId}#${index}`;
const itemOf = (chunk: string) => chunk.slice(0, chunk.lastIndexOf("#"));
const indexOf = (chunk: string) => Number(chunk.slice(chunk.lastIndexOf("#") + 1));
const CANDIDATES = 200;
const DEFAULT_CONTEXT_TOKENS = 4_000;

type ItemRow = Selectable<KnowledgeItemTable>;

interface ChunkHit {
  item: ItemRow;
  chunk: number;
  text: string;
  similarity: number;
}

/**
 * The knowledge base: items chunked for retrieval, each chunk in the keyword index and in the
 * tenant's knowledge vector space. Re-adding an id replaces all its chunks.
 */
export class KnowledgeService {
  constructor(
    private readonly store: Store,
    private readonly vectors: VectorStore,
    private readonly keywords: KeywordIndex,
    private readonly embedder: Embedder,
    private readonly memory: MemoryService | undefined,
    private readonly sealing: ContentSealing = PLAIN_CONTENT,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async add(scope: Scope, item: KnowledgeItem): Promise<KnowledgeAddedResponse> {
    // The query side is always embedded here, so a client's embedding is only comparable when it has
    // the knowledge base's dimension; otherwise the content is embedded here and the answer says so.
    const dimensions = await this.embedder.dimensions();
    const own = item.embedding && item.embedding.length === dimensions ? item.embedding : null;
    // A caller's own embedding describes the whole text, so such an item stays one chunk.
    const chunks = own ? [item.content] : chunkText(item.content);
    const vectors = own ? [Float32Array.from(own)] : await this.embedder.embed(chunks);
    const at = this.now().toISOString();
    const tenantId = scope.tenantId;
    const existed = await this.vectors.write(tenantId, [KNOWLEDGE_SPACE], async (trx, writes) => {
      const previous = await trx
        .selectFrom("knowledge_items")
        .select(["chunk_count", "created_at"])
        .where("tenant_id", "=", tenantId)
        .where("id", "=", item.id)
        .executeTakeFirst();
      if (previous) {
        const old = Array.from({ length: previous.chunk_count }, (_, i) => chunkId(item.id, i));
        await trx
          .deleteFrom("knowledge_chunks")
          .where("tenant_id", "=", tenantId)
          .where("item_id", "=", item.id)
          .execute();
        await trx
          .deleteFrom("knowledge_items")
          .where("tenant_id", "=", tenantId)
          .where("id", "=", item.id)
          .execute();
        await this.keywords.remove(trx, tenantId, KNOWLEDGE_SPACE, old);
        await writes.ensureSpace(KNOWLEDGE_SPACE, await this.spaceConfig());
        await writes.remove(KNOWLEDGE_SPACE, old);
      }
      await trx
        .insertInto("knowledge_items")
        .values({
          tenant_id: tenantId,
          id: item.id,
          ...sealedContent(this.sealing.seal(item.content, knowledgeItemContext(tenantId, item.id))),
          source: item.metadata.source,
          source_type: item.metadata.source_type,
          chunk_index: item.metadata.chunk_index ?? null,
          agent_id: item.metadata.agent_id ?? null,
          timestamp: item.metadata.timestamp ? toIsoUtc(item.metadata.timestamp) : at,
          chunk_count: chunks.length,
          created_at: previous?.created_at ?? at,
          updated_at: at,
        })
        .execute();
      for (let i = 0; i < chunks.length; i += 200) {
        await trx
          .insertInto("knowledge_chunks")
          .values(
            chunks.slice(i, i + 200).map((content, j) => ({
              tenant_id: tenantId,
              item_id: item.id,
              chunk_index: i + j,
              ...sealedContent(this.sealing.seal(content, knowledgeChunkContext(tenantId, item.id, i + j))),
            })),
          )
          .execute();
      }
      await this.keywords.put(
        trx,
        tenantId,
        KNOWLEDGE_SPACE,
        chunks.map((text, i) => ({ id: chunkId(item.id, i), text: this.sealing.keywordText(text) })),
      );
      await writes.ensureSpace(KNOWLEDGE_SPACE, await this.spaceConfig());
      await writes.put(
        KNOWLEDGE_SPACE,
        vectors.map((vector, i) => ({ id: chunkId(item.id, i), vector })),
      );
      return previous !== undefined;
    });
    return {
      id: item.id,
      status: existed ? "updated" : "added",
      chunks: chunks.length,
      embedded_by: own ? "client" : this.embedder.id,
    };
  }

  async delete(scope: Scope, id: string): Promise<KnowledgeDeletedResponse> {
    const tenantId = scope.tenantId;
    const found = await this.vectors.write(tenantId, [KNOWLEDGE_SPACE], async (trx, writes) => {
      const row = await trx
        .selectFrom("knowledge_items")
        .select(["chunk_count", "agent_id"])
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row || (row.agent_id !== null && scope.agentIds !== null && !scope.agentIds.has(row.agent_id)))
        return false;
      const chunks = Array.from({ length: row.chunk_count }, (_, i) => chunkId(id, i));
      await trx
        .deleteFrom("knowledge_chunks")
        .where("tenant_id", "=", tenantId)
        .where("item_id", "=", id)
        .execute();
      await trx
        .deleteFrom("knowledge_items")
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .execute();
      await this.keywords.remove(trx, tenantId, KNOWLEDGE_SPACE, chunks);
      await writes.remove(KNOWLEDGE_SPACE, chunks);
      return true;
    });
    if (!found) throw notFound(`Knowledge item "${id}"`);
    return { deleted: true, id };
  }

  async search(scope: Scope, request: VectorSearchRequest): Promise<VectorSearchResponse> {
    const hits = await this.chunkHits(
      scope,
      request.query,
      request.agent_id ?? null,
      request.source_types ?? [],
      request.similarity_threshold,
    );
    // One result per item: its best chunk.
    const seen = new Set<string>();
    const best = hits.filter((hit) => !seen.has(hit.item.id) && seen.add(hit.item.id));
    return {
      results: best
        .slice(0, request.limit)
        .map((hit) => ({ item: this.itemOut(hit), similarity_score: hit.similarity })),
      query: request.query,
      total_results: best.length,
    };
  }

  /**
   * The best chunks for a query, best first, within `max_context_items` and the token budget;
   * with an agent and conversation history asked for, that agent's most relevant memories fill
   * the slots the knowledge base leaves.
   */
  async context(scope: Scope, query: ContextQuery): Promise<ContextResponse> {
    const budget = query.max_tokens ?? DEFAULT_CONTEXT_TOKENS;
    const items: { text: string; source: string; score: number }[] = [];
    let used = 0;
    const take = (text: string, source: string, score: number) => {
      const cost = estimateTokens(text);
      if (items.length >= query.max_context_items || used + cost > budget) return;
      items.push({ text, source, score });
      used += cost;
    };
    for (const hit of await this.chunkHits(scope, query.query, query.agent_id ?? null, [], 0))
      take(hit.text, hit.item.source, hit.similarity);
    if (
      query.agent_id &&
      query.include_conversation_history &&
      this.memory &&
      items.length < query.max_context_items
    ) {
      const memories = await this.memory.rank(scope, query.query, { agentId: query.agent_id }, 0);
      for (const { row, similarity } of memories)
        take(textOfContent(JSON.parse(this.memory.readable(row).content)), `memory:${row.id}`, similarity);
    }
    return {
      context_items: items.map((i) => i.text),
      sources: items.map((i) => i.source),
      query: query.query,
      relevance_scores: items.map((i) => i.score),
      token_count: used,
    };
  }

  private async chunkHits(
    scope: Scope,
    text: string,
    agentId: string | null,
    sourceTypes: readonly KnowledgeSourceType[],
    threshold: number,
  ): Promise<ChunkHit[]> {
    const tenantId = scope.tenantId;
    const db = this.store.db;
    const [query] = await this.embedder.embed([text]);
    const filtered = agentId !== null || sourceTypes.length > 0 || scope.agentIds !== null;
    let allowed: Set<string> | undefined;
    if (filtered) {
      let rows = db
        .selectFrom("knowledge_items")
        .select(["id", "agent_id"])
        .where("tenant_id", "=", tenantId);
      if (agentId !== null) rows = rows.where("agent_id", "=", agentId);
      if (sourceTypes.length > 0) rows = rows.where("source_type", "in", [...sourceTypes]);
      const found = await rows.execute();
      // A credential limited to some agents sees shared items (no agent) and its agents' items.
      allowed = new Set(
        found
          .filter((r) => r.agent_id === null || scope.agentIds === null || scope.agentIds.has(r.agent_id))
          .map((r) => r.id),
      );
    }
    const accept = allowed ? (id: string) => (allowed as Set<string>).has(itemOf(id)) : undefined;
    const candidates = allowed
      ? async () => {
          const rows = await db
            .selectFrom("knowledge_chunks")
            .select(["item_id", "chunk_index"])
            .where("tenant_id", "=", tenantId)
            .execute();
          return rows
            .filter((r) => (allowed as Set<string>).has(r.item_id))
            .map((r) => chunkId(r.item_id, r.chunk_index));
        }
      : undefined;
    const hits = (
      await hybridSearch(
        { db, vectors: this.vectors, keywords: this.keywords },
        tenantId,
        KNOWLEDGE_SPACE,
        this.sealing.keywordText(text),
        query as Float32Array,
        CANDIDATES,
        {
          ...(accept ? { accept } : {}),
          ...(candidates ? { candidates } : {}),
        },
      )
    ).filter((hit) => hit.similarity >= threshold);
    if (hits.length === 0) return [];
    const itemIds = [...new Set(hits.map((h) => itemOf(h.id)))];
    const [items, chunks] = await Promise.all([
      db
        .selectFrom("knowledge_items")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("id", "in", itemIds)
        .execute(),
      db
        .selectFrom("knowledge_chunks")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("item_id", "in", itemIds)
        .execute(),
    ]);
    const itemById = new Map(
      items.map((i) => [
        i.id,
        { ...i, content: this.sealing.open(i.content, i.sealed, knowledgeItemContext(tenantId, i.id)) },
      ]),
    );
    const chunkText = new Map(
      chunks.map((c) => [
        chunkId(c.item_id, c.chunk_index),
        this.sealing.open(c.content, c.sealed, knowledgeChunkContext(tenantId, c.item_id, c.chunk_index)),
      ]),
    );
    return hits.flatMap((hit) => {
      const item = itemById.get(itemOf(hit.id));
      const text = chunkText.get(hit.id);
      if (!item || text === undefined || (accept && !accept(hit.id))) return [];
      return [{ item, chunk: indexOf(hit.id), text, similarity: hit.similarity }];
    });
  }

  private itemOut(hit: ChunkHit): KnowledgeItemOut {
    const chunked = hit.item.chunk_count > 1;
    return {
      id: hit.item.id,
      content: chunked ? hit.text : hit.item.content,
      embedding: null,
      metadata: {
        source: hit.item.source,
        source_type: hit.item.source_type as KnowledgeSourceType,
        chunk_index: chunked ? hit.chunk : hit.item.chunk_index,
        timestamp: hit.item.timestamp,
        agent_id: hit.item.agent_id,
      },
    };
  }

  private async spaceConfig() {
    return {
      dimensions: await this.embedder.dimensions(),
      distance: "cosine" as const,
      embedder: this.embedder.id,
    };
  }
}

const sealedContent = ({ stored, sealed }: { stored: string; sealed: number }) => ({
  content: stored,
  sealed,
});
