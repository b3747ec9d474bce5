import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { createEmbedder } from "../embedders/create-embedder.js";
import { KnowledgeService } from "../knowledge/knowledge-service.js";
import { type ResealReport, resealContent } from "../memory/content-resealing.js";
import { ContentSealing } from "../memory/content-sealing.js";
import { MemoryConsolidation } from "../memory/memory-consolidation.js";
import { MemoryRepository } from "../memory/memory-repository.js";
import { MemoryService } from "../memory/memory-service.js";
import { ModelEpisodeSummarizer } from "../memory/memory-summaries.js";
import { KeywordIndex } from "../retrieval/keyword-index.js";
import type { ModelProviders } from "../runs/model-providers.js";
import type { Sealer } from "../secrets/sealer.js";
import type { Store } from "../store/database.js";
import { CollectionService } from "./collection-service.js";
import { EmbeddedVectorStore } from "./embedded-vector-store.js";
import type { VectorStore } from "./vector-store.js";

export interface RetrievalOptions {
  /** Model providers, for summaries of old episodic memories when memorySummaryModel is set. */
  models?: ModelProviders | undefined;
  /** The secrets layer's sealer for memory and knowledge content (needed by memoryEncryption). */
  sealer?: Sealer | undefined;
  /** Told how many rows were sealed or opened after memoryEncryption was switched. */
  onResealed?: (report: ResealReport) => void;
}

/** Memory, knowledge and collections over one vector store, keyword index and embedder. */
export async function openRetrieval(store: Store, config: Config, options: RetrievalOptions = {}) {
  const vectors = await openVectorStore(store, config);
  const keywords = new KeywordIndex(store.dialect);
  const embedder = createEmbedder(config);
  const sealing = new ContentSealing(options.sealer, config.memoryEncryption);
  const resealed = await resealContent(store, sealing, keywords);
  if (resealed.memories + resealed.knowledgeItems + resealed.knowledgeChunks > 0)
    options.onResealed?.(resealed);
  const service = new MemoryService(
    store,
    new MemoryRepository(store.db, sealing),
    vectors,
    keywords,
    embedder,
    {
      shortTermTtlSeconds: config.memoryShortTermTtlSeconds,
    },
  );
  return {
    vectors,
    embedder,
    memory: {
      service,
      consolidation: new MemoryConsolidation(store, vectors, keywords, {
        memories: service,
        embedder,
        summarizer:
          config.memorySummaryModel && options.models
            ? new ModelEpisodeSummarizer(options.models, config.memorySummaryModel)
            : undefined,
        ageDays: config.memorySummaryAgeDays,
      }),
    },
    knowledge: new KnowledgeService(store, vectors, keywords, embedder, service, sealing),
    collections: new CollectionService(store, vectors, keywords, embedder),
  };
}

/**
 * The configured vector backend. auto: Qdrant when qdrantUrl is set, else pgvector when the
 * Postgres database has the extension, else the embedded index.
 */
export async function openVectorStore(store: Store, config: Config): Promise<VectorStore> {
  const backend = config.vectorBackend;
  if (backend === "qdrant" && !config.qdrantUrl)
    throw new Error("vectorBackend is qdrant but qdrantUrl is not set: set qdrantUrl (SYMBIONT_QDRANT_URL)");
  if (backend === "qdrant" || (backend === "auto" && config.qdrantUrl)) {
    // Loaded only when configured: an embedded start should not pay for a client it does not use.
    const { QdrantVectorStore } = await import("./qdrant-vector-store.js");
    return new QdrantVectorStore(store, { url: config.qdrantUrl as string, apiKey: config.qdrantApiKey });
  }
  if (backend === "pgvector" || (backend === "auto" && store.dialect === "postgres")) {
    const { PgvectorVectorStore, detectPgvector } = await import("./pgvector-vector-store.js");
    const info = await detectPgvector(store, backend === "pgvector");
    if (info) return new PgvectorVectorStore(store, info).open();
  }
  return new EmbeddedVectorStore(store, join(config.dataDir, "vector-index"));
}
