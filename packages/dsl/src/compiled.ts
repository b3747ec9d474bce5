/** The compiler's output: plain JSON, so it can be stored, sent and evaluated without this package. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A condition or policy target as data. A policy gate evaluates it against a request context:
 * `path` reads a value (`["user", "role"]`), `call` names a predicate or action.
 */
export type PolicyExpr =
  | { kind: "literal"; value: JsonValue }
  | { kind: "duration"; milliseconds: number; raw: string }
  | { kind: "size"; bytes: number; raw: string }
  | { kind: "path"; path: string[] }
  | { kind: "compare"; operator: "==" | "!=" | "<" | "<=" | ">" | ">="; left: PolicyExpr; right: PolicyExpr }
  | { kind: "and" | "or"; operands: PolicyExpr[] }
  | { kind: "not"; operand: PolicyExpr }
  | { kind: "arithmetic"; operator: "+" | "-" | "*" | "/" | "%"; left: PolicyExpr; right: PolicyExpr }
  | { kind: "call"; function: string; target: PolicyExpr | null; args: PolicyExpr[] }
  | { kind: "index"; target: PolicyExpr; index: PolicyExpr }
  | { kind: "list"; items: PolicyExpr[] }
  | { kind: "record"; fields: Record<string, PolicyExpr> };

export type PolicyEffect = "allow" | "deny" | "require" | "audit";

export interface PolicyRule {
  effect: PolicyEffect;
  /** What the rule is about: action names (`"read"`), calls (`use("llm")`), requirements. */
  targets: PolicyExpr[];
  /** Names of the targets that are plain actions or calls, for quick matching. */
  actions: string[];
  /** The `if` condition; null means always. */
  condition: PolicyExpr | null;
  /** Settings written as a record (`require: { approval: "on-call" }`). */
  settings: Record<string, JsonValue> | null;
  /** `audit: all_operations with digital_signature` → "digital_signature". */
  modifier: string | null;
  line: number;
}

export interface CompiledPolicy {
  name: string;
  rules: PolicyRule[];
  /** `conditions: { … }` of the policy. */
  conditions: Record<string, JsonValue>;
}

/** Resource limits and sandboxing, from `with` blocks and a `resources` section. */
export interface ResourceLimits {
  sandbox: string | null;
  timeout_ms: number | null;
  memory: string | null;
  max_memory_mb: number | null;
  max_cpu_cores: number | null;
}

export interface CompiledAgent {
  name: string;
  params: { name: string; type: string | null }[];
  returns: string | null;
  /** The fields the runtime's agent record holds; null when the source does not set them. */
  display_name: string | null;
  description: string | null;
  system_prompt: string | null;
  model: string | null;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
  tools: string[];
  capabilities: string[];
  policies: CompiledPolicy[];
  limits: ResourceLimits;
  /** Every `with` setting as written (security, privacy, …), including the limits above. */
  execution: Record<string, JsonValue>;
  /** Other settings of the agent body (version, memory, privacy, …) as plain values. */
  settings: Record<string, JsonValue>;
  triggers: { kind: string; name: string | null; settings: Record<string, JsonValue> }[];
  actions: { name: string; statements: number }[];
}

export interface CompiledSchedule {
  name: string | null;
  agent: string;
  cron: string | null;
  /** One-shot time (ISO 8601), instead of `cron`. */
  at: string | null;
  timezone: string;
  one_shot: boolean;
  settings: Record<string, JsonValue>;
}

export type WebhookProvider = "github" | "stripe" | "slack" | "custom";

export interface CompiledWebhook {
  name: string | null;
  path: string;
  provider: WebhookProvider;
  /**
   * A reference, never the secret: `vault://webhooks/github/secret` gives `{ "scheme": "vault",
   * "path": "webhooks/github/secret", … }`, `secret://GITHUB_HOOK` gives `{ "scheme": "secret",
   * "path": "GITHUB_HOOK", … }`. The runtime resolves `reference` at the moment of use.
   */
  secret: { scheme: "vault" | "secret"; path: string; key: string | null; reference: string } | null;
  agent: string;
  filter: { json_path: string; equals: JsonValue | null; contains: string | null } | null;
  settings: Record<string, JsonValue>;
}

export interface CompiledMemory {
  name: string | null;
  store: string;
  path: string | null;
  retention_ms: number | null;
  search: { vector_weight: number; keyword_weight: number } | null;
  settings: Record<string, JsonValue>;
}

export interface CompiledChannel {
  name: string | null;
  platform: string | null;
  default_agent: string | null;
  channels: string[];
  policies: CompiledPolicy[];
  settings: Record<string, JsonValue>;
}

export interface CompiledDefinition {
  metadata: Record<string, JsonValue>;
  agents: CompiledAgent[];
  /** Policies defined at the top level, outside any agent. */
  policies: CompiledPolicy[];
  schedules: CompiledSchedule[];
  webhooks: CompiledWebhook[];
  memories: CompiledMemory[];
  channels: CompiledChannel[];
  types: { name: string; definition: string }[];
  functions: { name: string; signature: string }[];
}
