import { z } from "zod";
import { ResourceName, storableText, Timestamp } from "./text.js";
import { ReviewStatus } from "./tool-review.js";
import { WorkflowExecutionStatus, WorkflowStepStatus } from "./workflows.js";

export const RunStatus = z.enum([
  "queued",
  "running",
  "awaiting_approval",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
]);
export type RunStatus = z.infer<typeof RunStatus>;

/** Statuses a run never leaves. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "timed_out"];

export const RunLimits = z.strictObject({
  max_steps: z.int().min(1, "must be at least 1").max(1_000, "must be at most 1000"),
  max_tokens: z.int().min(1, "must be at least 1").max(100_000_000, "must be at most 100000000"),
  timeout_seconds: z.int().min(1, "must be at least 1").max(86_400, "must be at most 86400"),
});
export type RunLimits = z.infer<typeof RunLimits>;

export const ExecuteRequest = z.strictObject({
  input: storableText(1_000_000, 1),
  /** false: answer at once with the queued run; true (default): wait for it up to `wait_seconds`. */
  wait: z.boolean().nullish(),
  wait_seconds: z.int().min(0, "must be at least 0").max(300, "must be at most 300").nullish(),
  limits: RunLimits.partial().nullish(),
});
export type ExecuteRequest = z.infer<typeof ExecuteRequest>;

export const StepKind = z.enum(["model_call", "gate", "approval", "tool_call"]);
export type StepKind = z.infer<typeof StepKind>;

export const RunStep = z.object({
  seq: z.int().min(1),
  kind: StepKind,
  at: Timestamp,
  duration_ms: z.number().min(0),
  /**
   * model_call: model, text, tool_calls, input_tokens, output_tokens, finish_reason.
   * gate: tool, decision (allow, deny, require_approval), reasons, errors.
   * approval: tool, decision (approved, denied), decided_by, comment.
   * tool_call: tool, arguments, result, is_error.
   */
  data: z.record(z.string(), z.unknown()),
});
export type RunStep = z.infer<typeof RunStep>;

export const PendingApproval = z.object({
  tool: z.string(),
  tool_call_id: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  requested_at: Timestamp,
});
export type PendingApproval = z.infer<typeof PendingApproval>;

export const RunSummary = z.object({
  id: z.string(),
  agent_id: z.string(),
  status: RunStatus,
  model: z.string(),
  input: z.string(),
  output: z.string().nullable(),
  error: z.string().nullable(),
  steps_count: z.int().min(0),
  input_tokens: z.int().min(0),
  output_tokens: z.int().min(0),
  limits: RunLimits,
  pending_approval: PendingApproval.nullable(),
  created_by: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  finished_at: Timestamp.nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const Run = RunSummary.extend({ steps: z.array(RunStep) });
export type Run = z.infer<typeof Run>;

export const RunPage = z.object({
  items: z.array(RunSummary),
  next_cursor: z.string().nullable().describe("Pass as `cursor` to get the next page; null on the last"),
});
export type RunPage = z.infer<typeof RunPage>;

export const RunListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(256).optional(),
  status: RunStatus.optional(),
});

export const RunIdParams = z.strictObject({ run_id: ResourceName });

export const ApprovalDecisionRequest = z.strictObject({
  decision: z.enum(["approve", "deny"], "must be approve or deny"),
  comment: storableText(4_096).nullish(),
});
export type ApprovalDecisionRequest = z.infer<typeof ApprovalDecisionRequest>;

export const ApprovalList = z.object({ items: z.array(RunSummary) });
export type ApprovalList = z.infer<typeof ApprovalList>;

/** One event of the live stream (`GET /events`), sent as server-sent events named by `type`. */
export const RunEventPayload = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run.status"),
    run_id: z.string(),
    agent_id: z.string(),
    status: RunStatus,
    at: Timestamp,
  }),
  z.object({ type: z.literal("run.step"), run_id: z.string(), agent_id: z.string(), step: RunStep }),
  z.object({
    type: z.literal("approval.requested"),
    run_id: z.string(),
    agent_id: z.string(),
    tool: z.string(),
    arguments: z.record(z.string(), z.unknown()),
    at: Timestamp,
  }),
  z.object({
    type: z.literal("review.transition"),
    review_id: z.string(),
    tool_name: z.string(),
    mcp_server: z.string().nullable(),
    from: z
      .string()
      .nullable()
      .describe("null for a new review, and for the current state sent first to a review_id subscriber"),
    to: z
      .union([ReviewStatus, z.enum(["revoked", "blocked"])])
      .describe(
        "`revoked`: its signature was revoked; `blocked`: the tool's definition changed, so this review no longer covers it (replaced_by is the new review)",
      ),
    risk_score: z.number().nullable(),
    replaced_by: z.string().nullable(),
    at: Timestamp,
  }),
  z.object({
    type: z.literal("deployment.event"),
    deployment_id: z.string(),
    agent_id: z.string(),
    /** status: the deployment's status changed; restarted, limit_exceeded, crashed: about one replica. */
    kind: z.enum(["status", "restarted", "limit_exceeded", "crashed", "unresponsive"]),
    status: z.enum(["deploying", "running", "stopped", "failed"]),
    replica: z.int().nullable(),
    detail: z.string(),
    at: Timestamp,
  }),
  z.object({
    type: z.literal("workflow.status"),
    execution_id: z.string(),
    workflow_id: z.string(),
    status: WorkflowExecutionStatus,
    at: Timestamp,
  }),
  z.object({
    type: z.literal("workflow.step"),
    execution_id: z.string(),
    workflow_id: z.string(),
    step_id: z.string(),
    step_type: z.string(),
    status: WorkflowStepStatus,
    attempt: z.int().min(0),
    error: z.string().nullable(),
    at: Timestamp,
  }),
]);
export type RunEventPayload = z.infer<typeof RunEventPayload>;

/**
 * What to follow: one run, one agent, one workflow execution, or (none) everything in the caller's
 * tenant. Workflow events reach subscribers that follow the tenant or that execution.
 */
export const EventStreamQuery = z.strictObject({
  run_id: ResourceName.optional(),
  agent_id: ResourceName.optional(),
  topic: z
    .enum(["runs", "reviews"], "must be runs or reviews")
    .optional()
    .describe("runs (default): run events; reviews: tool review transitions (needs tools:read as well)"),
  review_id: ResourceName.optional().describe(
    "Only this review's transitions, its current state first; implies topic=reviews",
  ),
  execution_id: ResourceName.optional(),
});
