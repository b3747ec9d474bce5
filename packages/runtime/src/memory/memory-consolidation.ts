import { randomUUID } from "node:crypto";
import type { ConsolidationResponse, MemoryLevel } from "@symbiont/protocol";
import type { Embedder } from "../embedders/embedder.js";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import type { KeywordIndex } from "../retrieval/keyword-index.js";
import { storable } from "../retrieval/tokens.js";
import { AppError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import { dot } from "../vectors/vector-codec.js";
import type { VectorStore } from "../vectors/vector-store.js";
import type { MemoryRow } from "./memory-repository.js";
import { type MemoryService, memorySpace } from "./memory-service.js";
import { type EpisodeSummarizer, episodeGroups } from "./memory-summaries.js";
import { computedImportance, textOfContent } from "./memory-text.js";

type SummaryReport = NonNullable<ConsolidationResponse["summaries"]>;

/** Summaries of old episodic memories into semantic ones (step 5), when a model is configured. */
export interface SummaryOptions {
  memories: MemoryService;
  embedder: Embedder;
  summarizer: EpisodeSummarizer | undefined;
  /** Episodic memories older than this are summarised. */
  ageDays: number;
}

/** The contract's recommended caps per level. */
export const LEVEL_CAPS: Record<MemoryLevel, number> = {
  short_term: 50,
  long_term: 1000,
  episodic: 500,
  semantic: 2000,
};
/** Cosine similarity from which two memories of the same level and type count as one. */
export const DUPLICATE_SIMILARITY = 0.95;
/** Short-term memories read this often are promoted whatever the caps. */
export const RECALLS_TO_PROMOTE = 3;
/** Duplicates are looked for among this many of the agent's newest memories (a pairwise scan). */
const DUPLICATE_WINDOW = 1_000;

const byValue = (a: MemoryRow, b: MemoryRow) =>
  b.importance - a.importance || b.created_at.localeCompare(a.created_at);

/**
 * Consolidation of one agent's memories:
 * 1. expired short-term memories are pruned;
 * 2. near-duplicates (same level and type, cosine >= 0.95) are merged into the more important one:
 *    the other stays as history, marked superseded and out of every index;
 * 3. a level over its cap keeps its best (importance, then recency) and prunes the rest; kept
 *    short-term memories with importance > 0.7 move to long-term (the contract's rule);
 * 4. short-term memories recalled at least 3 times move to long-term;
 * 5. with a summary model, episodic memories older than the configured age are summarised, up to 20
 *    at a time, into one semantic memory each run; the episodes stay as history, marked superseded
 *    by their summary and out of every index. Model calls happen outside any transaction, and a
 *    failed call leaves its episodes exactly as they were.
 */
export class MemoryConsolidation {
  constructor(
    private readonly store: Store,
    private readonly vectors: VectorStore,
    private readonly keywords: KeywordIndex,
    private readonly summaries: SummaryOptions | undefined = undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async consolidate(scope: Scope, agentId: string): Promise<ConsolidationResponse> {
    const started = performance.now();
    if (!scopeReachesAgent(scope, agentId)) {
      throw new AppError(
        "FORBIDDEN",
        `This credential is limited to other agents and cannot consolidate "${agentId}"`,
        { agent_id: agentId },
      );
    }
    const nowIso = this.now().toISOString();
    const space = memorySpace(agentId);
    const rows = await this.store.db
      .selectFrom("memories")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("agent_id", "=", agentId)
      .where("superseded_by", "is", null)
      .orderBy("created_at", "desc")
      .execute();

    const pruned = new Set(
      rows.filter((r) => r.expires_at !== null && r.expires_at <= nowIso).map((r) => r.id),
    );
    const live = rows.filter((r) => !pruned.has(r.id));

    // 2. Near-duplicates, from the stored (unit) vectors.
    const window = live.slice(0, DUPLICATE_WINDOW);
    const vectors = await this.vectors.vectorsOf(
      scope.tenantId,
      space,
      window.map((r) => r.id),
    );
    const merges = new Map<string, MemoryRow>(); // duplicate id → survivor
    const ordered = [...window].sort(byValue);
    for (let i = 0; i < ordered.length; i++) {
      const keep = ordered[i] as MemoryRow;
      const keepVector = vectors.get(keep.id);
      if (!keepVector || merges.has(keep.id)) continue;
      for (let j = i + 1; j < ordered.length; j++) {
        const other = ordered[j] as MemoryRow;
        if (
          merges.has(other.id) ||
          other.memory_level !== keep.memory_level ||
          other.memory_type !== keep.memory_type
        )
          continue;
        const otherVector = vectors.get(other.id);
        if (otherVector && dot(keepVector, otherVector) >= DUPLICATE_SIMILARITY) merges.set(other.id, keep);
      }
    }
    const survivors = live.filter((r) => !merges.has(r.id));

    // 3. Caps per level; 4. recall-frequency promotion.
    const promoted = new Set<string>();
    for (const [level, cap] of Object.entries(LEVEL_CAPS) as [MemoryLevel, number][]) {
      const inLevel = survivors.filter((r) => r.memory_level === level).sort(byValue);
      if (inLevel.length <= cap) continue;
      for (const row of inLevel.slice(cap)) pruned.add(row.id);
      if (level === "short_term")
        for (const row of inLevel.slice(0, cap)) if (row.importance > 0.7) promoted.add(row.id);
    }
    for (const row of survivors) {
      if (row.memory_level === "short_term" && !pruned.has(row.id) && row.access_count >= RECALLS_TO_PROMOTE)
        promoted.add(row.id);
    }

    if (pruned.size + merges.size + promoted.size > 0) {
      await this.vectors.write(scope.tenantId, [space], async (trx, vectorWrites) => {
        const gone = [...pruned];
        for (let i = 0; i < gone.length; i += 500) {
          await trx
            .deleteFrom("memories")
            .where("tenant_id", "=", scope.tenantId)
            .where("id", "in", gone.slice(i, i + 500))
            .execute();
        }
        const absorbed = new Map<string, MemoryRow[]>();
        for (const [duplicateId, survivor] of merges) {
          await trx
            .updateTable("memories")
            .set({ superseded_by: survivor.id })
            .where("tenant_id", "=", scope.tenantId)
            .where("id", "=", duplicateId)
            .execute();
          const duplicate = rows.find((r) => r.id === duplicateId) as MemoryRow;
          absorbed.set(survivor.id, [...(absorbed.get(survivor.id) ?? []), duplicate]);
        }
        for (const [survivorId, duplicates] of absorbed) {
          const survivor = rows.find((r) => r.id === survivorId) as MemoryRow;
          const metadata = JSON.parse(survivor.metadata) as Record<string, unknown>;
          const history = Array.isArray(metadata.merged_from) ? (metadata.merged_from as unknown[]) : [];
          metadata.merged_from = [...history, ...duplicates.map((d) => d.id)];
          await trx
            .updateTable("memories")
            .set({
              metadata: JSON.stringify(metadata),
              importance: Math.max(survivor.importance, ...duplicates.map((d) => d.importance)),
              access_count: survivor.access_count + duplicates.reduce((n, d) => n + d.access_count, 0),
            })
            .where("tenant_id", "=", scope.tenantId)
            .where("id", "=", survivorId)
            .execute();
        }
        const raised = [...promoted].filter((id) => !pruned.has(id));
        for (let i = 0; i < raised.length; i += 500) {
          await trx
            .updateTable("memories")
            .set({ memory_level: "long_term", expires_at: null })
            .where("tenant_id", "=", scope.tenantId)
            .where("id", "in", raised.slice(i, i + 500))
            .execute();
        }
        const unindexed = [...gone, ...merges.keys()];
        await this.keywords.remove(trx, scope.tenantId, space, unindexed);
        await vectorWrites.remove(space, unindexed);
      });
    }
    const promotedCount = [...promoted].filter((id) => !pruned.has(id)).length;
    const summaries = await this.summarize(
      scope.tenantId,
      agentId,
      survivors.filter((r) => !pruned.has(r.id)),
    );
    return {
      agent_id: agentId,
      promoted_count: promotedCount,
      pruned_count: pruned.size,
      consolidated_count: merges.size,
      execution_time_ms: performance.now() - started,
      success: true,
      message: `Pruned ${pruned.size}, merged ${merges.size} near-duplicates, promoted ${promotedCount} to long_term; ${summaryMessage(summaries)}`,
      summaries,
    };
  }

  private async summarize(
    tenantId: string,
    agentId: string,
    candidates: readonly MemoryRow[],
  ): Promise<SummaryReport> {
    const summarizer = this.summaries?.summarizer;
    const report: SummaryReport = {
      status: "skipped_no_model",
      model: summarizer?.model ?? null,
      summaries_created: 0,
      memories_summarized: 0,
      error: null,
    };
    if (!this.summaries || !summarizer) return report;
    const { memories, embedder, ageDays } = this.summaries;
    const now = this.now();
    const before = new Date(now.getTime() - ageDays * 86_400_000).toISOString();
    const groups = episodeGroups(candidates, before);
    if (groups.length === 0) return { ...report, status: "nothing_to_summarize" };
    const done: { sources: MemoryRow[]; text: string }[] = [];
    for (const sources of groups) {
      try {
        const episodes = sources.map((row) => textOfContent(JSON.parse(memories.readable(row).content)));
        const text = storable(await summarizer.summarize(tenantId, agentId, episodes));
        if (text.trim() === "")
          throw new Error(`The model ${summarizer.model} answered with an empty summary`);
        done.push({ sources, text });
      } catch (error) {
        // The model is down or misbehaving: what was summarised so far is kept, the rest waits.
        report.error = (error as Error).message;
        break;
      }
    }
    if (done.length === 0) return { ...report, status: "failed" };
    const vectors = await embedder.embed(done.map((d) => d.text));
    const space = memorySpace(agentId);
    const nowIso = now.toISOString();
    const written = await this.vectors.write(tenantId, [space], async (trx, writes) => {
      // Another consolidation of this agent may have summarised (or deleted) some episodes while the
      // model was thinking: a group is written only if all its episodes are still live, once.
      const live = new Set(
        (
          await trx
            .selectFrom("memories")
            .select("id")
            .where("tenant_id", "=", tenantId)
            .where(
              "id",
              "in",
              done.flatMap((d) => d.sources.map((s) => s.id)),
            )
            .where("superseded_by", "is", null)
            .execute()
        ).map((row) => row.id),
      );
      const entries = done.flatMap(({ sources, text }, i) => {
        if (!sources.every((s) => live.has(s.id))) return [];
        const content = JSON.stringify({ text });
        const row: MemoryRow = {
          tenant_id: tenantId,
          id: randomUUID(),
          agent_id: agentId,
          content,
          content_folded: storable(content.toLowerCase()),
          memory_type: "fact",
          memory_level: "semantic",
          conversation_id: null,
          parent_id: null,
          importance: Math.max(computedImportance("fact", "semantic"), ...sources.map((s) => s.importance)),
          access_count: 0,
          metadata: JSON.stringify({
            summary_of: sources.map((s) => s.id),
            summary_model: summarizer.model,
            episodes_from: sources[0]?.created_at,
            episodes_to: sources.at(-1)?.created_at,
          }),
          created_at: nowIso,
          last_accessed_at: null,
          expires_at: null,
          superseded_by: null,
          sealed: 0,
        };
        return [{ row, text, vector: vectors[i] as Float32Array, sources }];
      });
      if (entries.length === 0) return entries;
      await memories.insertIn(trx, writes, tenantId, agentId, entries);
      for (const { row, sources } of entries) {
        await trx
          .updateTable("memories")
          .set({ superseded_by: row.id })
          .where("tenant_id", "=", tenantId)
          .where(
            "id",
            "in",
            sources.map((s) => s.id),
          )
          .execute();
      }
      const summarized = entries.flatMap((e) => e.sources.map((s) => s.id));
      await this.keywords.remove(trx, tenantId, space, summarized);
      await writes.remove(space, summarized);
      return entries;
    });
    if (written.length === 0) return { ...report, status: "nothing_to_summarize" };
    return {
      ...report,
      status: "summarized",
      summaries_created: written.length,
      memories_summarized: written.reduce((n, e) => n + e.sources.length, 0),
    };
  }
}

function summaryMessage(report: SummaryReport): string {
  switch (report.status) {
    case "skipped_no_model":
      return "summaries skipped: no memorySummaryModel configured";
    case "nothing_to_summarize":
      return "no episodic memories old enough to summarise";
    case "failed":
      return `summaries failed, episodes kept: ${report.error}`;
    default:
      return `summarised ${report.memories_summarized} episodic memories into ${report.summaries_created} semantic${report.error ? `, then stopped: ${report.error}` : ""}`;
  }
}
