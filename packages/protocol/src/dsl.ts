import { z } from "zod";
import { AgentId } from "./agents.js";
import { Timestamp } from "./text.js";

/** The DSL package refuses longer sources too; refusing them at the edge answers 400 instead. */
export const MAX_DSL_SOURCE_LENGTH = 1_000_000;

/** The contract's DslCompileRequest. Its clients always send all three fields. */
export const DslCompileRequest = z.strictObject({
  dsl_content: z
    .string()
    .max(MAX_DSL_SOURCE_LENGTH, `must be at most ${MAX_DSL_SOURCE_LENGTH} characters`)
    .describe("The .symbi source"),
  agent_name: AgentId.describe(
    "Id of the agent to register; the file's agent of that name, or its only agent",
  ),
  validate_only: z.boolean().default(false).describe("Check and compile only; register nothing"),
});
export type DslCompileRequest = z.infer<typeof DslCompileRequest>;

export const DslDiagnostic = z.object({
  code: z.string().describe("Stable code: E0xxx lexical, E1xxx syntax, E2xxx meaning, W… warnings"),
  severity: z.enum(["error", "warning"]),
  message: z.string(),
  line: z.int().min(1),
  column: z.int().min(1).describe("1-based, in Unicode code points"),
  end_line: z.int().min(1),
  end_column: z.int().min(1),
  expected: z.array(z.string()).describe("What the parser would have accepted here"),
  hint: z.string().nullable(),
});
export type DslDiagnostic = z.infer<typeof DslDiagnostic>;

const Json = z.json();
const Settings = z.record(z.string(), Json);

const PolicyRule = z.object({
  effect: z.enum(["allow", "deny", "require", "audit"]),
  targets: z.array(Json).describe("Actions, calls and requirements, as expression trees"),
  actions: z.array(z.string()),
  condition: Json.nullable().describe("The `if` condition as an expression tree; null = always"),
  settings: Settings.nullable(),
  modifier: z.string().nullable(),
  line: z.int(),
});

const Policy = z.object({ name: z.string(), rules: z.array(PolicyRule), conditions: Settings });

const nullableNumber = z.number().nullable();

export const CompiledAgent = z.object({
  name: z.string(),
  params: z.array(z.object({ name: z.string(), type: z.string().nullable() })),
  returns: z.string().nullable(),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  system_prompt: z.string().nullable(),
  model: z.string().nullable(),
  temperature: nullableNumber,
  top_p: nullableNumber,
  max_tokens: z.int().nullable(),
  tools: z.array(z.string()),
  capabilities: z.array(z.string()),
  policies: z.array(Policy),
  limits: z.object({
    sandbox: z.string().nullable(),
    timeout_ms: nullableNumber,
    memory: z.string().nullable(),
    max_memory_mb: nullableNumber,
    max_cpu_cores: nullableNumber,
  }),
  execution: Settings,
  settings: Settings,
  triggers: z.array(z.object({ kind: z.string(), name: z.string().nullable(), settings: Settings })),
  actions: z.array(z.object({ name: z.string(), statements: z.int() })),
});

/** Everything a .symbi file defines, compiled to plain data. */
export const CompiledDefinition = z.object({
  metadata: Settings,
  agents: z.array(CompiledAgent),
  policies: z.array(Policy),
  schedules: z.array(
    z.object({
      name: z.string().nullable(),
      agent: z.string(),
      cron: z.string().nullable(),
      at: z.string().nullable(),
      timezone: z.string(),
      one_shot: z.boolean(),
      settings: Settings,
    }),
  ),
  webhooks: z.array(
    z.object({
      name: z.string().nullable(),
      path: z.string(),
      provider: z.enum(["github", "stripe", "slack", "custom"]),
      secret: z
        .object({
          scheme: z.enum(["vault", "secret"]),
          path: z.string(),
          key: z.string().nullable(),
          reference: z.string(),
        })
        .nullable(),
      agent: z.string(),
      filter: z
        .object({ json_path: z.string(), equals: Json.nullable(), contains: z.string().nullable() })
        .nullable(),
      settings: Settings,
    }),
  ),
  memories: z.array(
    z.object({
      name: z.string().nullable(),
      store: z.string(),
      path: z.string().nullable(),
      retention_ms: nullableNumber,
      search: z.object({ vector_weight: z.number(), keyword_weight: z.number() }).nullable(),
      settings: Settings,
    }),
  ),
  channels: z.array(
    z.object({
      name: z.string().nullable(),
      platform: z.string().nullable(),
      default_agent: z.string().nullable(),
      channels: z.array(z.string()),
      policies: z.array(Policy),
      settings: Settings,
    }),
  ),
  types: z.array(z.object({ name: z.string(), definition: z.string() })),
  functions: z.array(z.object({ name: z.string(), signature: z.string() })),
});

/**
 * The contract's DslCompileResponse (success, agent_id, errors, warnings, compiled_at) plus our own
 * fields, which its clients ignore.
 */
export const DslCompileResponse = z.object({
  success: z.boolean(),
  agent_id: z.string().nullable().describe("The registered agent; null when validating or on errors"),
  errors: z.array(z.string()).describe('One line each: "line:column: error[CODE]: message"'),
  warnings: z.array(z.string()),
  compiled_at: Timestamp,
  diagnostics: z.array(DslDiagnostic).describe("Errors and warnings with positions, in source order"),
  definition: CompiledDefinition.nullable().describe(
    "The compiled definition; memory settings and limits are returned, not stored",
  ),
  registration: z
    .enum(["created", "updated"])
    .nullable()
    .describe("What happened to the agent: created, updated, or null when nothing was registered"),
  stored: z
    .object({
      schedules: z.array(z.string()).describe("Ids of the agent's schedules now stored"),
      policies: z.array(z.string()).describe("Ids of the Cedar policies compiled from the source"),
      endpoints: z
        .array(z.string())
        .describe("Ids of the dynamic endpoints (under /hooks) serving the agent's webhooks"),
    })
    .nullable()
    .describe("What the registration stored besides the agent, replacing the previous registration's"),
});
export type DslCompileResponse = z.infer<typeof DslCompileResponse>;
