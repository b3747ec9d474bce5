import { z } from "zod";
import { AgentId } from "./agents.js";
import { FiniteNumber, InputDatetime } from "./json.js";
import { ResourceName, storableText, Timestamp } from "./text.js";

export const KnowledgeSourceType = z.enum(["document", "code", "api_reference", "conversation"]);
export type KnowledgeSourceType = z.infer<typeof KnowledgeSourceType>;

export const VectorMetadata = z.strictObject({
  source: storableText(1024, 1),
  source_type: KnowledgeSourceType,
  chunk_index: z.int().min(0).nullish(),
  /** Missing: now. */
  timestamp: InputDatetime.nullish(),
  agent_id: AgentId.nullish(),
});
export type VectorMetadata = z.infer<typeof VectorMetadata>;

/** Upserted by id. Long content is split into chunks, each searchable on its own. */
export const KnowledgeItem = z.strictObject({
  id: ResourceName,
  content: storableText(2_000_000, 1),
  embedding: z.array(FiniteNumber).min(1).max(4096).nullish(),
  metadata: VectorMetadata,
});
export type KnowledgeItem = z.infer<typeof KnowledgeItem>;

/** Knowledge search; `/vectors/search` takes the same body. */
export const VectorSearchRequest = z.strictObject({
  query: storableText(8192, 1),
  agent_id: AgentId.nullish(),
  source_types: z.array(KnowledgeSourceType).max(4).nullish(),
  limit: z.int().min(1).max(1000).default(10),
  similarity_threshold: z.number().min(-1).max(1).default(0.7),
});
export type VectorSearchRequest = z.infer<typeof VectorSearchRequest>;

export const ContextQuery = z.strictObject({
  query: storableText(8192, 1),
  agent_id: AgentId.nullish(),
  max_context_items: z.int().min(1).max(100).default(5),
  /** With an agent: add that agent's most relevant memories to the context. */
  include_conversation_history: z.boolean().default(true),
  /** Extension: token budget of the assembled context. */
  max_tokens: z.int().min(16).max(200_000).nullish(),
});
export type ContextQuery = z.infer<typeof ContextQuery>;

export const KnowledgeItemIdParams = z.strictObject({ item_id: ResourceName });

export const KnowledgeItemOut = z.object({
  id: z.string(),
  content: z.string(),
  embedding: z.array(z.number()).nullable(),
  metadata: z.object({
    source: z.string(),
    source_type: KnowledgeSourceType,
    chunk_index: z.int().nullable(),
    timestamp: Timestamp,
    agent_id: z.string().nullable(),
  }),
});
export type KnowledgeItemOut = z.infer<typeof KnowledgeItemOut>;

export const VectorSearchResponse = z.object({
  results: z.array(z.object({ item: KnowledgeItemOut, similarity_score: z.number() })),
  query: z.string(),
  total_results: z.int(),
});
export type VectorSearchResponse = z.infer<typeof VectorSearchResponse>;

export const ContextResponse = z.object({
  context_items: z.array(z.string()),
  sources: z.array(z.string()),
  query: z.string(),
  relevance_scores: z.array(z.number()),
  /** Estimated tokens of `context_items` together (about four characters a token). */
  token_count: z.int(),
});
export type ContextResponse = z.infer<typeof ContextResponse>;

export const KnowledgeAddedResponse = z.object({
  id: z.string(),
  status: z.enum(["added", "updated"]),
  chunks: z.int().describe("How many searchable chunks the content became"),
  embedded_by: z
    .string()
    .describe(
      "`client` when the item's embedding was used; else the runtime embedder that embedded the content",
    ),
});
export type KnowledgeAddedResponse = z.infer<typeof KnowledgeAddedResponse>;

export const KnowledgeDeletedResponse = z.object({ deleted: z.literal(true), id: z.string() });
export type KnowledgeDeletedResponse = z.infer<typeof KnowledgeDeletedResponse>;
