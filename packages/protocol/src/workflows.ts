import { z } from "zod";
import { ResourceName, storableText, Timestamp } from "./text.js";

/** Step ids are the names templates use (`steps.<id>.output`), so they are identifier-like. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
export const StepId = z
  .string()
  .regex(STEP_ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or _");

/** Text holding `{{ ... }}` templates (params, step outputs); rendered when the step runs. */
const TemplateText = storableText(100_000);

export const StepRetry = z.strictObject({
  /** Attempts in all, the first included. */
  max_attempts: z.int().min(1, "must be at least 1").max(10, "must be at most 10"),
  /** Wait before the second attempt; each later wait is multiplied by `backoff_multiplier`. */
  backoff_ms: z.int().min(0).max(600_000, "must be at most 600000").default(1_000),
  backoff_multiplier: z.number().min(1).max(10).default(2),
});
export type StepRetry = z.infer<typeof StepRetry>;

const common = {
  id: StepId,
  /** Steps that must finish first, besides those the step's templates name. */
  depends_on: z.array(StepId).max(200).nullish(),
  retry: StepRetry.nullish(),
};

/** An agent call: a run of the agent (policy gates, approvals and limits apply); output = its answer. */
const AgentCall = {
  /** Defaults to the execution's `agent_id`. */
  agent_id: ResourceName.nullish(),
  input: TemplateText.min(1, "must not be empty"),
};

/** A tool call through the tool catalog and the policy gate, acting as `agent_id`'s tools. */
const ToolCall = {
  agent_id: ResourceName.nullish(),
  tool: z.string().min(1).max(256),
  /** String values may hold templates; a value that is one whole `{{ expr }}` keeps its type. */
  arguments: z.record(z.string(), z.unknown()).default({}),
};

export const AgentStep = z.strictObject({ ...common, type: z.literal("agent"), ...AgentCall });
export const ToolStep = z.strictObject({ ...common, type: z.literal("tool"), ...ToolCall });

/** Runs the `when_true` steps when the condition holds, else the `when_false` ones; the arm not taken is skipped. */
export const BranchStep = z.strictObject({
  ...common,
  type: z.literal("branch"),
  /** An expression: `params.x`, `steps.a.output.ok == true`, `not params.dry_run`, ... */
  condition: storableText(4_096, 1),
  when_true: z.array(StepId).max(200).default([]),
  when_false: z.array(StepId).max(200).default([]),
});

/** One agent or tool call per item of a list (`item`, `index` in its templates); output = the list of results. */
export const MapStep = z.strictObject({
  ...common,
  type: z.literal("map"),
  /** An expression that gives a list. */
  over: storableText(4_096, 1),
  /** How many items run at once. */
  max_parallel: z.int().min(1).max(32).default(4),
  call: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("agent"), ...AgentCall }),
    z.strictObject({ type: z.literal("tool"), ...ToolCall }),
  ]),
});

/** Waits for a human (approvals:decide); deny fails the execution. */
export const ApprovalStep = z.strictObject({
  ...common,
  type: z.literal("approval"),
  message: TemplateText.default(""),
});

/**
 * How much several texts disagree: 1 − the mean pairwise cosine similarity of their embeddings
 * (the runtime's configured embedder), in [0, 1] for texts of non-negative similarity.
 */
export const DisagreementStep = z.strictObject({
  ...common,
  type: z.literal("disagreement"),
  /** An expression giving a list of texts, or one template per text. */
  texts: z.union([storableText(4_096, 1), z.array(TemplateText).min(2).max(64)]),
});

export const WorkflowStep = z.discriminatedUnion("type", [
  AgentStep,
  ToolStep,
  BranchStep,
  MapStep,
  ApprovalStep,
  DisagreementStep,
]);
export type WorkflowStep = z.infer<typeof WorkflowStep>;
export type WorkflowStepInput = z.input<typeof WorkflowStep>;
export type StepType = WorkflowStep["type"];

export const WorkflowParameter = z.strictObject({
  type: z.enum(["string", "number", "boolean", "object", "array", "any"]).default("any"),
  required: z.boolean().default(false),
  default: z.unknown().optional(),
  description: storableText(1_024).nullish(),
});
export type WorkflowParameter = z.infer<typeof WorkflowParameter>;

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What a definition says: parameters, the steps of the DAG, and what the result holds. */
export const WorkflowSpec = z.strictObject({
  description: storableText(4_096).default(""),
  parameters: z
    .record(
      z.string().regex(PARAMETER_NAME, "parameter names are 1-64 characters of A-Z a-z 0-9 _"),
      WorkflowParameter,
    )
    .default({}),
  steps: z.array(WorkflowStep).min(1, "must have at least one step").max(200, "must have at most 200 steps"),
  /** The execution's result, templated; by default every finished step's output by step id. */
  output: z.unknown().optional(),
});
export type WorkflowSpec = z.infer<typeof WorkflowSpec>;
export type WorkflowSpecInput = z.input<typeof WorkflowSpec>;

export const WorkflowDefinitionCreateRequest = WorkflowSpec.extend({ name: ResourceName });
export type WorkflowDefinitionCreateRequest = z.input<typeof WorkflowDefinitionCreateRequest>;

export const WorkflowDefinition = z.object({
  id: z.string(),
  name: z.string(),
  version: z.int().min(1),
  description: z.string(),
  parameters: z.record(z.string(), WorkflowParameter),
  steps: z.array(z.record(z.string(), z.unknown())),
  output: z.unknown().optional(),
  created_by: z.string(),
  created_at: Timestamp,
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinition>;

export const WorkflowDefinitionSummary = z.object({
  id: z.string(),
  name: z.string(),
  version: z.int().min(1),
  description: z.string(),
  steps_count: z.int().min(0),
  created_at: Timestamp,
});
export type WorkflowDefinitionSummary = z.infer<typeof WorkflowDefinitionSummary>;

export const WorkflowDefinitionList = z.object({ items: z.array(WorkflowDefinitionSummary) });
export type WorkflowDefinitionList = z.infer<typeof WorkflowDefinitionList>;

export const WorkflowIdParams = z.strictObject({ workflow_id: ResourceName });
export const WorkflowVersionQuery = z.strictObject({
  version: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/** The contract's request (§4.1): `agent_id` may be null; `wait` is our extension. */
export const WorkflowExecutionRequest = z.strictObject({
  /** A definition's id or name. */
  workflow_id: ResourceName,
  parameters: z.record(z.string(), z.unknown()).nullish(),
  /** The default agent for agent and tool steps that name none. */
  agent_id: ResourceName.nullish(),
  /** false: answer at once; otherwise wait up to `wait_seconds` (default the server's) for it to settle. */
  wait: z.boolean().nullish(),
  wait_seconds: z.int().min(0).max(300).nullish(),
  version: z.int().min(1).nullish(),
});
export type WorkflowExecutionRequest = z.input<typeof WorkflowExecutionRequest>;

export const WorkflowExecutionStatus = z.enum([
  "running",
  "awaiting_approval",
  "succeeded",
  "failed",
  "cancelled",
]);
export type WorkflowExecutionStatus = z.infer<typeof WorkflowExecutionStatus>;
export const FINISHED_WORKFLOW_STATUSES: readonly WorkflowExecutionStatus[] = [
  "succeeded",
  "failed",
  "cancelled",
];

/** The contract's reply shape (§5.3). */
export const WorkflowExecutionResponse = z.object({
  execution_id: z.string(),
  status: WorkflowExecutionStatus,
  started_at: Timestamp,
  result: z.record(z.string(), z.unknown()).nullable(),
});
export type WorkflowExecutionResponse = z.infer<typeof WorkflowExecutionResponse>;

export const WorkflowStepStatus = z.enum([
  "pending",
  "running",
  "retrying",
  "awaiting_approval",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
]);
export type WorkflowStepStatus = z.infer<typeof WorkflowStepStatus>;

export const WorkflowStepState = z.object({
  id: z.string(),
  type: z.string(),
  status: WorkflowStepStatus,
  attempts: z.int().min(0),
  output: z.unknown().nullable(),
  error: z.string().nullable(),
  /** The agent runs this step started (one per attempt, or per item of a map). */
  run_ids: z.array(z.string()),
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
});
export type WorkflowStepState = z.infer<typeof WorkflowStepState>;

export const WorkflowPendingApproval = z.object({
  step_id: z.string(),
  message: z.string(),
  requested_at: Timestamp,
});

export const WorkflowExecutionSummary = z.object({
  id: z.string(),
  workflow_id: z.string(),
  workflow_name: z.string(),
  version: z.int().min(1),
  status: WorkflowExecutionStatus,
  agent_id: z.string().nullable(),
  error: z.string().nullable(),
  created_by: z.string(),
  started_at: Timestamp,
  updated_at: Timestamp,
  finished_at: Timestamp.nullable(),
});
export type WorkflowExecutionSummary = z.infer<typeof WorkflowExecutionSummary>;

export const WorkflowExecution = WorkflowExecutionSummary.extend({
  /** As given: secret references stay references. */
  parameters: z.record(z.string(), z.unknown()),
  result: z.record(z.string(), z.unknown()).nullable(),
  pending_approval: WorkflowPendingApproval.nullable(),
  steps: z.array(WorkflowStepState),
});
export type WorkflowExecution = z.infer<typeof WorkflowExecution>;

export const WorkflowExecutionPage = z.object({
  items: z.array(WorkflowExecutionSummary),
  next_cursor: z.string().nullable(),
});
export type WorkflowExecutionPage = z.infer<typeof WorkflowExecutionPage>;

export const WorkflowExecutionListQuery = z.strictObject({
  workflow_id: ResourceName.optional(),
  status: WorkflowExecutionStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(256).optional(),
});

export const WorkflowExecutionIdParams = z.strictObject({ execution_id: ResourceName });

export const WorkflowApprovalRequest = z.strictObject({
  decision: z.enum(["approve", "deny"], "must be approve or deny"),
  comment: storableText(4_096).nullish(),
});
export type WorkflowApprovalRequest = z.input<typeof WorkflowApprovalRequest>;
