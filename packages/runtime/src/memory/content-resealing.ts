import { chunkId, KNOWLEDGE_SPACE } from "../knowledge/knowledge-service.js";
import type { KeywordIndex } from "../retrieval/keyword-index.js";
import { storable } from "../retrieval/tokens.js";
import type { Store } from "../store/database.js";
import {
  type ContentSealing,
  knowledgeChunkContext,
  knowledgeItemContext,
  memoryContext,
} from "./content-sealing.js";
import { memorySpace } from "./memory-service.js";
import { textOfContent } from "./memory-text.js";

const BATCH = 500;

export interface ResealReport {
  memories: number;
  knowledgeItems: number;
  knowledgeChunks: number;
}

/**
 * Brings stored content to what memoryEncryption now says, after it was switched: plain rows are
 * sealed (or sealed rows opened), and their keyword entries rewritten as digests (or words), in
 * batches of one transaction each. A no-op (one indexed probe per table) when nothing changed.
 */
export async function resealContent(
  store: Store,
  sealing: ContentSealing,
  keywords: KeywordIndex,
): Promise<ResealReport> {
  const target = sealing.enabled ? 1 : 0;
  const report: ResealReport = { memories: 0, knowledgeItems: 0, knowledgeChunks: 0 };
  for (;;) {
    const rows = await store.db
      .selectFrom("memories")
      .selectAll()
      .where("sealed", "!=", target)
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const context = memoryContext(row.tenant_id, row.id);
        const plain = sealing.open(row.content, row.sealed, context);
        const { stored, sealed } = sealing.seal(plain, context);
        await trx
          .updateTable("memories")
          .set({ content: stored, sealed, content_folded: sealed ? "" : storable(plain.toLowerCase()) })
          .where("tenant_id", "=", row.tenant_id)
          .where("id", "=", row.id)
          .execute();
        // Superseded memories are out of every index already.
        if (row.superseded_by === null) {
          const text = sealing.keywordText(textOfContent(JSON.parse(plain)));
          await keywords.put(trx, row.tenant_id, memorySpace(row.agent_id), [{ id: row.id, text }]);
        }
      }
    });
    report.memories += rows.length;
  }
  for (;;) {
    const rows = await store.db
      .selectFrom("knowledge_items")
      .select(["tenant_id", "id", "content", "sealed"])
      .where("sealed", "!=", target)
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const context = knowledgeItemContext(row.tenant_id, row.id);
        const { stored, sealed } = sealing.seal(sealing.open(row.content, row.sealed, context), context);
        await trx
          .updateTable("knowledge_items")
          .set({ content: stored, sealed })
          .where("tenant_id", "=", row.tenant_id)
          .where("id", "=", row.id)
          .execute();
      }
    });
    report.knowledgeItems += rows.length;
  }
  for (;;) {
    const rows = await store.db
      .selectFrom("knowledge_chunks")
      .selectAll()
      .where("sealed", "!=", target)
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const context = knowledgeChunkContext(row.tenant_id, row.item_id, row.chunk_index);
        const plain = sealing.open(row.content, row.sealed, context);
        const { stored, sealed } = sealing.seal(plain, context);
        await trx
          .updateTable("knowledge_chunks")
          .set({ content: stored, sealed })
          .where("tenant_id", "=", row.tenant_id)
          .where("item_id", "=", row.item_id)
          .where("chunk_index", "=", row.chunk_index)
          .execute();
        await keywords.put(trx, row.tenant_id, KNOWLEDGE_SPACE, [
          { id: chunkId(row.item_id, row.chunk_index), text: sealing.keywordText(plain) },
        ]);
      }
    });
    report.knowledgeChunks += rows.length;
  }
  return report;
}
