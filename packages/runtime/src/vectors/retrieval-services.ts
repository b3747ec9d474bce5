import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { createEmbedder } from "../embedders/create-embedder.js";
import { KnowledgeService } from "../knowledge/knowledge-service.js";
import { MemoryConsolidation } from "../memory/memory-consolidation.js";
import { MemoryRepository } from "../memory/memory-repository.js";
import { MemoryService } from "../memory/memory-service.js";
import { KeywordIndex } from "../retrieval/keyword-index.js";
import type { Store } from "../store/database.js";
import { CollectionService } from "./collection-service.js";
import { EmbeddedVectorStore } from "./embedded-vector-store.js";
import type { VectorStore } from "./vector-store.js";

/** Memory, knowledge and collections over one embedded vector store, keyword index and embedder. */
export async function openRetrieval(store: Store, config: Config) {
  let vectors: VectorStore;
  if (config.qdrantUrl) {
    // Loaded only when configured: an embedded start should not pay for a client it does not use.
    const { QdrantVectorStore } = await import("./qdrant-vector-store.js");
    vectors = new QdrantVectorStore(store, { url: config.qdrantUrl, apiKey: config.qdrantApiKey });
  } else {
    vectors = new EmbeddedVectorStore(store, join(config.dataDir, "vector-index"));
  }
  const keywords = new KeywordIndex(store.dialect);
  const embedder = createEmbedder(config);
  const service = new MemoryService(store, new MemoryRepository(store.db), vectors, keywords, embedder, {
    shortTermTtlSeconds: config.memoryShortTermTtlSeconds,
  });
  return {
    vectors,
    embedder,
    memory: { service, consolidation: new MemoryConsolidation(store, vectors, keywords) },
    knowledge: new KnowledgeService(store, vectors, keywords, embedder, service),
    collections: new CollectionService(store, vectors, keywords, embedder),
  };
}
