import { z } from "zod";
import { labelText, storableText, Timestamp } from "./text.js";

export const ReviewStatus = z.enum([
  "submitted",
  "pending_analysis",
  "analyzing",
  "pending_review",
  "under_review",
  "approved",
  "rejected",
  "signed",
]);
export type ReviewStatus = z.infer<typeof ReviewStatus>;

export const FindingSeverity = z.enum(["low", "medium", "high", "critical"]);
export type FindingSeverity = z.infer<typeof FindingSeverity>;
export const FindingCategory = z.enum([
  "schema_injection",
  "privilege_escalation",
  "data_exposure",
  "malicious_code",
  "resource_abuse",
]);
export type FindingCategory = z.infer<typeof FindingCategory>;

export const ReviewPriority = z.enum(["low", "normal", "high", "critical"]);

/** A tool's JSON Schema. Any JSON object is kept as sent (it is what gets signed). */
const JsonObject = z.record(z.string(), z.unknown());
/** The contract's ToolSchema: `properties` is required; other JSON Schema keywords are kept. */
export const ToolSchemaIn = JsonObject.superRefine((schema, context) => {
  if (schema.properties === undefined)
    context.addIssue({
      code: "custom",
      path: ["properties"],
      message: "is required (an object, {} for none)",
    });
  if (schema.type !== undefined && schema.type !== "object")
    context.addIssue({ code: "custom", path: ["type"], message: 'must be "object"' });
  if (
    schema.properties !== undefined &&
    (typeof schema.properties !== "object" || schema.properties === null || Array.isArray(schema.properties))
  )
    context.addIssue({ code: "custom", path: ["properties"], message: "must be an object" });
  if (
    schema.required !== undefined &&
    !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === "string"))
  )
    context.addIssue({ code: "custom", path: ["required"], message: "must be an array of strings" });
});

export const ToolProviderInfo = z.strictObject({
  name: labelText(256),
  public_key_url: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/\S+$/, "must be an http:// or https:// URL")
    .nullish(),
});

/**
 * The contract's ToolIn: clients send the schema as `tool_schema`; `schema` is accepted too.
 * Definitions are capped at 256 KiB of description and a schema checked for size by the service.
 */
export const ToolIn = z
  .strictObject({
    name: labelText(256),
    description: storableText(65_536),
    tool_schema: ToolSchemaIn.optional(),
    schema: ToolSchemaIn.optional(),
    provider: ToolProviderInfo,
  })
  .superRefine((tool, context) => {
    if (!tool.tool_schema && !tool.schema)
      context.addIssue({ code: "custom", path: ["tool_schema"], message: "is required" });
  })
  .transform(({ tool_schema, schema, ...rest }) => ({
    ...rest,
    schema: (tool_schema ?? schema) as Record<string, unknown>,
  }));
export type ToolIn = z.output<typeof ToolIn>;

export const ToolOut = z.object({
  name: z.string(),
  description: z.string(),
  schema: JsonObject,
  provider: z.object({ name: z.string(), public_key_url: z.string().optional() }),
});
export type ToolOut = z.infer<typeof ToolOut>;

export const ReviewSessionCreate = z.strictObject({
  tool: ToolIn,
  submitted_by: labelText(256),
  priority: ReviewPriority.nullish().transform((p) => p ?? "normal"),
});
export type ReviewSessionCreate = z.output<typeof ReviewSessionCreate>;

export const SecurityFinding = z.object({
  finding_id: z.string(),
  severity: FindingSeverity,
  category: FindingCategory,
  title: z.string(),
  description: z.string(),
  confidence: z.number().min(0).max(1),
  recommendation: z.string().optional(),
  rule_id: z.string().describe("The analyzer rule that produced it (docs/tool-review.md)"),
  location: z
    .string()
    .describe("Where in the definition, e.g. description or schema.properties.path.description"),
  evidence: z.string().describe("The offending text, shortened, with hidden characters made visible"),
});
export type SecurityFinding = z.infer<typeof SecurityFinding>;

export const ReviewSessionState = z.object({
  type: z.string(),
  analysis_id: z.string().optional(),
  analysis_completed_at: Timestamp.optional(),
  critical_findings: z.array(SecurityFinding),
  human_reviewer_id: z.string().optional(),
  review_started_at: Timestamp.optional(),
});

export const ReviewSession = z.object({
  review_id: z.string(),
  tool: ToolOut,
  status: ReviewStatus,
  state: ReviewSessionState,
  submitted_by: z.string(),
  submitted_at: Timestamp,
  estimated_completion: Timestamp.optional(),
  priority: z.string(),
  risk_score: z.int().min(0).max(100).nullable(),
  decision_comments: z.string().nullable(),
  decided_at: Timestamp.nullable(),
  mcp_server: z.string().nullable().describe("The MCP server the tool came from, when submitted on connect"),
  definition_hash: z.string().describe("SHA-256 (hex) of the canonical JSON of name, description and schema"),
  signature_revoked_at: Timestamp.nullable(),
});
export type ReviewSession = z.infer<typeof ReviewSession>;

export const ReviewSessionResponse = z.object({
  review_id: z.string(),
  status: ReviewStatus,
  submitted_at: Timestamp,
  estimated_completion: Timestamp.optional(),
});

export const ReviewListQuery = z.strictObject({
  page: z.coerce
    .number("must be a page number")
    .int("must be a whole number")
    .min(1)
    .max(1_000_000)
    .default(1),
  limit: z.coerce
    .number("must be a number")
    .int("must be a whole number")
    .min(1)
    .max(200, "must be at most 200")
    .default(20),
  status: ReviewStatus.optional(),
  author: labelText(256).optional(),
  server: labelText(128).optional(),
});

export const ReviewSessionList = z.object({
  sessions: z.array(ReviewSession),
  pagination: z.object({ page: z.int(), limit: z.int(), total: z.int(), has_next: z.boolean() }),
});

export const AnalysisResults = z.object({
  analysis_id: z.string(),
  review_id: z.string(),
  risk_score: z.int().min(0).max(100),
  findings: z.array(SecurityFinding),
  recommendations: z.array(z.string()),
  completed_at: Timestamp,
  analyzer: z.string(),
  duration_ms: z.number(),
  judge: z
    .object({
      model: z.string(),
      status: z.enum(["completed", "failed"]),
      risk_score: z
        .int()
        .min(0)
        .max(100)
        .nullable()
        .describe("The judge's own score; the analysis keeps the higher"),
      rationale: z.string().nullable(),
      error: z.string().nullable().describe("Why the judge failed; the tool then waits for a human"),
      duration_ms: z.number(),
    })
    .nullable()
    .describe("The optional LLM judge's verdict (reviewJudgeModel); null when none is configured"),
});
export type AnalysisResults = z.infer<typeof AnalysisResults>;

export const HumanReviewDecision = z.strictObject({
  decision: z.enum(["approve", "reject"], 'must be "approve" or "reject"'),
  comments: storableText(16_384).nullish(),
  reviewer_id: labelText(256),
});

export const ReviewDecisionResponse = z.object({
  review_id: z.string(),
  decision: z.enum(["approve", "reject"]),
  status: z.enum(["approved", "rejected"]),
  decided_at: Timestamp,
});

export const SigningRequest = z.strictObject({
  review_id: labelText(128),
  signing_key_id: labelText(128).describe('A key id from /.well-known/schemapin.json, or "default"'),
});

export const SigningResponse = z.object({
  signature: z.string(),
  signed_at: Timestamp,
  signer_id: z.string(),
  signature_algorithm: z.string(),
  key_id: z.string(),
});

export const SignedTool = z.object({
  tool: ToolOut,
  signature: z.string(),
  signed_at: Timestamp,
  signer_id: z.string(),
  signature_algorithm: z.string(),
  review_id: z.string(),
  key_id: z.string(),
  revoked_at: Timestamp.nullable(),
});

export const ReviewIdParams = z.strictObject({
  review_id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be a review id"),
});
export const AnalysisIdParams = z.strictObject({
  analysis_id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be an analysis id"),
});

export const SignatureRevokedResponse = z.object({ review_id: z.string(), revoked_at: Timestamp });

/** Our extension: verify a tool signed elsewhere against its signer's /.well-known/schemapin.json. */
export const SignatureVerifyRequest = z.strictObject({
  tool: ToolIn,
  signature: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  well_known_url: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/[^\s/?#]+(\/\S*)?$/, "must be an http:// or https:// URL")
    .nullish()
    .describe("Where the signer publishes its keys; default: the tool provider's public_key_url"),
  accept_new_key: z
    .boolean()
    .nullish()
    .describe("Re-pin when the signer's key changed (a deliberate, audited trust decision)"),
});

export const SignatureVerification = z.object({
  valid: z.boolean(),
  signer: z.string().describe("The origin of the well-known URL; keys are pinned per signer"),
  key_id: z.string().nullable(),
  pin: z.enum(["first_use", "matched", "changed", "re_pinned", "none"]),
  reason: z.string().nullable(),
});
export type SignatureVerification = z.infer<typeof SignatureVerification>;

export const SigningKeysRotated = z.object({
  key_id: z.string().describe("The new signing key"),
  revoked_key_ids: z
    .array(z.string())
    .describe("Keys revoked; tools they signed are blocked until signed again"),
});
