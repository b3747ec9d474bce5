import { z } from "zod";
import { labelText, ResourceName, storableText, Timestamp } from "./text.js";

/** One Cedar policy statement; `@approval("required")` on a permit asks a human first. */
const policyFields = {
  name: labelText(256),
  description: storableText(4_096).nullish(),
  /** null: every agent of the tenant. */
  agent_id: ResourceName.nullish(),
  policy: storableText(65_536, 1),
  enabled: z.boolean().nullish(),
};

export const PolicyCreateRequest = z.strictObject(policyFields);
export type PolicyCreateRequest = z.infer<typeof PolicyCreateRequest>;

export const PolicyUpdateRequest = z
  .strictObject({
    name: policyFields.name.nullish(),
    description: policyFields.description,
    policy: policyFields.policy.nullish(),
    enabled: policyFields.enabled,
  })
  .refine((u) => Object.values(u).some((v) => v !== null && v !== undefined), {
    message: "must change at least one field",
  });
export type PolicyUpdateRequest = z.infer<typeof PolicyUpdateRequest>;

export const PolicyInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  agent_id: z.string().nullable(),
  policy: z.string(),
  effect: z.enum(["permit", "forbid"]),
  requires_approval: z.boolean(),
  enabled: z.boolean(),
  /** `dsl:<agent id>` when compiled from a registered .symbi file (re-registering replaces it); null otherwise. */
  origin: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type PolicyInfo = z.infer<typeof PolicyInfo>;

export const PolicyList = z.object({ items: z.array(PolicyInfo) });
export type PolicyList = z.infer<typeof PolicyList>;

export const PolicyIdParams = z.strictObject({ policy_id: ResourceName });

export const PolicyListQuery = z.strictObject({ agent_id: ResourceName.optional() });

export const GateDecision = z.enum(["allow", "deny", "require_approval"]);
export type GateDecision = z.infer<typeof GateDecision>;

export const PolicyEvaluateRequest = z.strictObject({
  agent_id: ResourceName,
  tool: labelText(256),
  source: labelText(256).nullish(),
  arguments: z.record(z.string(), z.unknown()).nullish(),
});
export type PolicyEvaluateRequest = z.infer<typeof PolicyEvaluateRequest>;

export const PolicyEvaluation = z.object({
  decision: GateDecision,
  /** Ids of the policies that determined the decision. */
  reasons: z.array(z.string()),
  errors: z.array(z.string()),
});
export type PolicyEvaluation = z.infer<typeof PolicyEvaluation>;

export const PolicyDeletedResponse = z.object({ deleted: z.literal(true), id: z.string() });
