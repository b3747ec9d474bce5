import { z } from "zod";
import { labelText, ResourceName, storableText, Timestamp } from "./text.js";

/** Path segments that are routes of their own under /agents, so no agent may take them as its id. */
export const RESERVED_AGENT_IDS = ["deployments", "deploy"] as const;

export const AgentId = ResourceName.refine(
  (id) => !(RESERVED_AGENT_IDS as readonly string[]).includes(id),
  `is reserved (${RESERVED_AGENT_IDS.join(", ")} are routes, not agents)`,
);

export const AgentState = z.enum(["idle", "active", "busy", "error", "stopped"]);
export type AgentState = z.infer<typeof AgentState>;

const agentFields = {
  name: labelText(256),
  description: storableText(4096),
  system_prompt: storableText(65_536),
  tools: z.array(labelText(256)).max(256, "must list at most 256 tools"),
  model: labelText(256),
  temperature: z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2"),
  top_p: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
  max_tokens: z.int().min(1, "must be at least 1").max(2_000_000, "must be at most 2000000"),
};

/** The contract's Agent: all nine fields, always sent by its clients. */
export const AgentCreateRequest = z.strictObject({ id: AgentId, ...agentFields });
export type AgentCreateRequest = z.infer<typeof AgentCreateRequest>;

/** Our own partial update. `null` means "leave unchanged", as everywhere in the contract. */
export const AgentUpdateRequest = z
  .strictObject({
    name: agentFields.name.nullish(),
    description: agentFields.description.nullish(),
    system_prompt: agentFields.system_prompt.nullish(),
    tools: agentFields.tools.nullish(),
    model: agentFields.model.nullish(),
    temperature: agentFields.temperature.nullish(),
    top_p: agentFields.top_p.nullish(),
    max_tokens: agentFields.max_tokens.nullish(),
  })
  .refine((u) => Object.values(u).some((v) => v !== null && v !== undefined), {
    message: "must change at least one field",
  });
export type AgentUpdateRequest = z.infer<typeof AgentUpdateRequest>;

export const AgentCreatedResponse = z.object({
  id: z.string(),
  agent_id: z.string(),
  status: z.literal("created"),
  state: AgentState,
  created_at: Timestamp,
});
export type AgentCreatedResponse = z.infer<typeof AgentCreatedResponse>;

export const AgentDefinition = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  system_prompt: z.string(),
  tools: z.array(z.string()),
  model: z.string(),
  temperature: z.number(),
  top_p: z.number(),
  max_tokens: z.int(),
  state: AgentState,
  version: z.int().min(1).describe("Increments on every update"),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type AgentDefinition = z.infer<typeof AgentDefinition>;

export const AgentDefinitionPage = z.object({
  items: z.array(AgentDefinition),
  next_cursor: z.string().nullable().describe("Pass as `cursor` to get the next page; null on the last"),
});
export type AgentDefinitionPage = z.infer<typeof AgentDefinitionPage>;

export const AgentDefinitionListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(256).optional(),
});

export const ResourceUsage = z.object({
  memory_bytes: z.int().min(0),
  cpu_percent: z.number().min(0),
  active_tasks: z.int().min(0),
});

export const AgentStatusResponse = z.object({
  agent_id: z.string(),
  state: AgentState,
  last_activity: Timestamp,
  resource_usage: ResourceUsage,
});
export type AgentStatusResponse = z.infer<typeof AgentStatusResponse>;

export const AgentMetrics = z.object({
  agent_id: z.string(),
  tasks_completed: z.int().min(0),
  tasks_failed: z.int().min(0),
  average_response_time_ms: z.number().min(0),
  memory_usage_bytes: z.int().min(0),
  cpu_usage_percent: z.number().min(0),
  last_activity: Timestamp,
  uptime_seconds: z.int().min(0),
});
export type AgentMetrics = z.infer<typeof AgentMetrics>;

export const AgentDeletedResponse = z.object({ deleted: z.literal(true), agent_id: z.string() });

/** Looking an agent up only needs a well-formed name; a reserved one simply does not exist. */
export const AgentIdParams = z.strictObject({ agent_id: ResourceName });
