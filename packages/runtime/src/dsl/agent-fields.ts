import type { CompiledAgent, CompiledDefinition } from "@symbiont/dsl";
import type { AgentUpdateRequest } from "@symbiont/protocol";

/** The defaults `symbiont agents create` uses too, so an agent reads the same however it was made. */
export const DSL_AGENT_DEFAULTS = {
  model: "llama3.2",
  temperature: 0.7,
  top_p: 1,
  max_tokens: 4096,
} as const;

export type AgentFields = Required<{ [K in keyof AgentUpdateRequest]: NonNullable<AgentUpdateRequest[K]> }>;

/**
 * The agent to register: the one named like the request's agent_name, else the file's only agent.
 * Returns the problem when there is none to pick.
 */
export function selectAgent(definition: CompiledDefinition, agentName: string): CompiledAgent | string {
  const named = definition.agents.find((agent) => agent.name === agentName);
  if (named) return named;
  if (definition.agents.length === 1) return definition.agents[0]!;
  if (definition.agents.length === 0) return "the source defines no agent to register";
  return `the source defines several agents (${definition.agents.map((a) => a.name).join(", ")}) and none is named '${agentName}'; name one of them in agent_name`;
}

/** The runtime's nine agent fields from a compiled agent; what the source leaves out takes a default. */
export function agentFields(
  agent: CompiledAgent,
  definition: CompiledDefinition,
  agentName: string,
): { fields: AgentFields; defaulted: string[] } {
  const metadataDescription = definition.metadata.description;
  const defaulted: string[] = [];
  const pick = <K extends keyof typeof DSL_AGENT_DEFAULTS>(key: K, value: number | string | null) => {
    if (value !== null) return value as (typeof DSL_AGENT_DEFAULTS)[K];
    defaulted.push(key);
    return DSL_AGENT_DEFAULTS[key];
  };
  return {
    fields: {
      name: agent.display_name ?? agentName,
      description: agent.description ?? (typeof metadataDescription === "string" ? metadataDescription : ""),
      system_prompt: agent.system_prompt ?? "",
      tools: agent.tools,
      model: pick("model", agent.model),
      temperature: pick("temperature", agent.temperature),
      top_p: pick("top_p", agent.top_p),
      max_tokens: pick("max_tokens", agent.max_tokens),
    },
    defaulted,
  };
}
