import { z } from "zod";
import { AgentId } from "./agents.js";
import { boundedJsonObject, InputDatetime } from "./json.js";
import { ResourceName, storableText, Timestamp } from "./text.js";

export const MemoryLevel = z.enum(["short_term", "long_term", "episodic", "semantic"]);
export type MemoryLevel = z.infer<typeof MemoryLevel>;
export const MemoryType = z.enum(["conversation", "fact", "experience", "context", "metadata"]);
export type MemoryType = z.infer<typeof MemoryType>;

const Importance = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
const MemoryId = ResourceName;

/** The contract's MemoryStoreRequest; v1 clients send every field, unset ones as null. */
export const MemoryStoreRequest = z.strictObject({
  content: boundedJsonObject(65_536),
  memory_type: MemoryType,
  memory_level: MemoryLevel,
  agent_id: AgentId,
  conversation_id: ResourceName.nullish(),
  /** Absent or null: computed from the memory's type and content. */
  importance_score: Importance.nullish(),
  parent_id: MemoryId.nullish(),
  metadata: boundedJsonObject(16_384).nullish(),
});
export type MemoryStoreRequest = z.infer<typeof MemoryStoreRequest>;

const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** `GET /memory`: one memory, by id or the most recent one matching the filters. */
export const MemoryGetQuery = z.strictObject({
  agent_id: AgentId,
  limit: limit(1000, 50),
  memory_id: MemoryId.optional(),
  conversation_id: ResourceName.optional(),
  memory_type: MemoryType.optional(),
  memory_level: MemoryLevel.optional(),
  parent_id: MemoryId.optional(),
});
export type MemoryGetQuery = z.infer<typeof MemoryGetQuery>;

/** Fields of a memory that an object `query` may filter on by equality. */
export const MEMORY_FILTER_FIELDS = [
  "id",
  "memory_type",
  "memory_level",
  "conversation_id",
  "parent_id",
  "importance_score",
  "access_count",
] as const;

export const MemoryFilter = z.strictObject({
  id: z.string().nullish(),
  memory_type: MemoryType.nullish(),
  memory_level: MemoryLevel.nullish(),
  conversation_id: z.string().nullish(),
  parent_id: z.string().nullish(),
  importance_score: z.number().nullish(),
  access_count: z.number().int().nullish(),
});
export type MemoryFilter = z.infer<typeof MemoryFilter>;

export const MemorySearchRequest = z.strictObject({
  agent_id: AgentId,
  /** An object: equality filters (the contract). A string: free-text relevance search (our extension). */
  query: z.union([storableText(4096, 1), MemoryFilter]).nullish(),
  memory_levels: z.array(MemoryLevel).max(4).nullish(),
  content_contains: storableText(1024).nullish(),
  importance_threshold: Importance.nullish(),
  time_range: z.strictObject({ start: InputDatetime.nullish(), end: InputDatetime.nullish() }).nullish(),
  limit: z.int().min(1).max(1000).default(50),
  /** Extension: with a text query, drop memories whose vector similarity is below this. */
  similarity_threshold: z.number().min(-1).max(1).nullish(),
});
export type MemorySearchRequest = z.infer<typeof MemorySearchRequest>;

export const MemoryConversationQuery = z.strictObject({
  conversation_id: ResourceName,
  agent_id: AgentId,
  /** Extension: the token budget of the whole context (recent turns plus related memories). */
  max_tokens: z.coerce.number().int().min(16).max(200_000).optional(),
});
export type MemoryConversationQuery = z.infer<typeof MemoryConversationQuery>;

export const MemoryListQuery = z.strictObject({ agent_id: AgentId, limit: limit(1000, 100) });
export type MemoryListQuery = z.infer<typeof MemoryListQuery>;

export const MemoryIdParams = z.strictObject({ memory_id: MemoryId });
export const MemoryAgentParams = z.strictObject({ agent_id: AgentId });

export const MemoryNode = z.object({
  id: z.string(),
  content: z.record(z.string(), z.unknown()),
  memory_type: MemoryType,
  memory_level: MemoryLevel,
  timestamp: Timestamp,
  agent_id: z.string(),
  conversation_id: z.string().nullable(),
  parent_id: z.string().nullable(),
  last_accessed: Timestamp.nullable(),
  children_ids: z.array(z.string()),
  importance_score: z.number(),
  access_count: z.int(),
  metadata: z.record(z.string(), z.unknown()),
  /** Short-term memories lapse; null for the other levels. */
  expires_at: Timestamp.nullable(),
  /** Relevance of a free-text search hit; absent otherwise. */
  score: z.number().optional(),
});
export type MemoryNode = z.infer<typeof MemoryNode>;

export const MemoryResponse = z.object({
  memory: MemoryNode,
  success: z.boolean(),
  message: z.string().nullable(),
});
export type MemoryResponse = z.infer<typeof MemoryResponse>;

export const MemorySearchResponse = z.object({
  memories: z.array(MemoryNode),
  total_count: z.int(),
  search_time_ms: z.number(),
  success: z.boolean(),
  message: z.string().nullable(),
});
export type MemorySearchResponse = z.infer<typeof MemorySearchResponse>;

export const ConversationContext = z.object({
  conversation_id: z.string(),
  agent_id: z.string(),
  memories: z.array(MemoryNode),
  context_summary: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  metadata: z.record(z.string(), z.unknown()),
});
export type ConversationContext = z.infer<typeof ConversationContext>;

export const ConsolidationResponse = z.object({
  agent_id: z.string(),
  promoted_count: z.int(),
  pruned_count: z.int(),
  consolidated_count: z.int(),
  execution_time_ms: z.number(),
  success: z.boolean(),
  message: z.string().nullable(),
  /** Ours, beyond the contract: what became of old episodic memories (summarised by a model). */
  summaries: z
    .object({
      status: z.enum(["summarized", "nothing_to_summarize", "skipped_no_model", "failed"]),
      model: z.string().nullable(),
      summaries_created: z.int(),
      memories_summarized: z.int(),
      /** Why the model could not summarise (the sources stay as they were). */
      error: z.string().nullable(),
    })
    .optional(),
});
export type ConsolidationResponse = z.infer<typeof ConsolidationResponse>;

export const MemoryDeletedResponse = z.object({ deleted: z.literal(true), memory_id: z.string() });
export type MemoryDeletedResponse = z.infer<typeof MemoryDeletedResponse>;
