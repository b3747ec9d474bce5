import type { AgentRoutingRule } from "@symbiont/protocol";
import { valueAt } from "../webhooks/payload-filter.js";

export interface RoutableRequest {
  path: string;
  /** Header names lower-case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  payload: unknown;
}

/** A JSON value compared with a rule's string: strings as they are, anything else as JSON text. */
function asText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function matches(rule: AgentRoutingRule, request: RoutableRequest): boolean {
  switch (rule.condition_type) {
    case "path_prefix":
      return request.path.startsWith(rule.condition_value);
    case "header_equals": {
      const value = request.headers[(rule.condition_target ?? "").toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) === rule.condition_value;
    }
    case "json_field_equals":
      return asText(valueAt(request.payload, rule.condition_target ?? "")) === rule.condition_value;
  }
}

/** The first matching rule's agent, else the server's own: the contract's routing. */
export function pickAgent(
  rules: readonly AgentRoutingRule[] | null | undefined,
  fallbackAgentId: string,
  request: RoutableRequest,
): string {
  return rules?.find((rule) => matches(rule, request))?.agent_id ?? fallbackAgentId;
}
