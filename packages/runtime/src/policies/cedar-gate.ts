import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { GateDecision, PolicyEvaluation } from "@symbiont/protocol";

/** What the gate needs of a stored policy. */
export interface GatePolicy {
  readonly id: string;
  readonly policy: string;
  readonly requiresApproval: boolean;
}

/** A tool call as the gate sees it: who (the agent) wants to do what (call_tool) to which tool. */
export interface GateRequest {
  readonly agentId: string;
  readonly tool: string;
  readonly source: string;
  readonly arguments: Record<string, unknown>;
}

export interface ParsedPolicy {
  readonly effect: "permit" | "forbid";
  readonly requiresApproval: boolean;
}

/** A policy the gate refuses to store; the message says what Cedar found wrong. */
export class PolicyTextError extends Error {
  override readonly name = "PolicyTextError";
}

const APPROVAL_ANNOTATION = "approval";

/**
 * Checks that the text is exactly one Cedar policy and reads its effect. `@approval("required")` on
 * a permit means "allowed once a human approves": Cedar itself knows only permit and forbid.
 */
export function parsePolicy(text: string): ParsedPolicy {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === "failure") throw new PolicyTextError(parts.errors.map((e) => e.message).join("; "));
  if (parts.policy_templates.length > 0)
    throw new PolicyTextError("templates (?principal, ?resource slots) are not supported");
  if (parts.policies.length !== 1)
    throw new PolicyTextError(`must hold exactly one policy statement, found ${parts.policies.length}`);
  const json = cedar.policyToJson(parts.policies[0] as string);
  if (json.type === "failure") throw new PolicyTextError(json.errors.map((e) => e.message).join("; "));
  const approval = json.json.annotations?.[APPROVAL_ANNOTATION];
  if (approval !== undefined && approval !== "required")
    throw new PolicyTextError('@approval takes only "required"');
  if (approval !== undefined && json.json.effect === "forbid")
    throw new PolicyTextError("@approval belongs on a permit; a forbid never asks");
  return { effect: json.json.effect, requiresApproval: approval === "required" };
}

/**
 * Cedar has no null and no fractions: arguments become Cedar values by dropping nulls and writing
 * non-integers as strings, so a policy can still compare them (`context.arguments.path like "/tmp/*"`).
 */
function toCedarValue(value: unknown, depth = 0): cedar.CedarValueJson | undefined {
  if (depth > 32) return undefined;
  if (value === null || value === undefined) return undefined;
  if (typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : String(value);
  if (Array.isArray(value))
    return value
      .map((v) => toCedarValue(v, depth + 1))
      .filter((v) => v !== undefined) as cedar.CedarValueJson[];
  if (typeof value === "object") {
    const record: Record<string, cedar.CedarValueJson> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      // Cedar reads `__entity` and `__extn` as escapes; a tool argument must not forge an entity.
      if (key.startsWith("__")) continue;
      const converted = toCedarValue(v, depth + 1);
      if (converted !== undefined) record[key] = converted;
    }
    return record;
  }
  return String(value);
}

/**
 * Decides one tool call. No policy that permits it means deny (Cedar's default, and failing closed);
 * a forbid always wins; a permit that carries `@approval("required")` among the deciding policies
 * asks a human. Any error of evaluation denies.
 */
export function evaluateGate(policies: readonly GatePolicy[], request: GateRequest): PolicyEvaluation {
  const byId = new Map(policies.map((p) => [p.id, p]));
  const staticPolicies: Record<string, string> = {};
  for (const p of policies) staticPolicies[p.id] = p.policy;
  let answer: cedar.AuthorizationAnswer;
  try {
    answer = cedar.isAuthorized({
      principal: { type: "Agent", id: request.agentId },
      action: { type: "Action", id: "call_tool" },
      resource: { type: "Tool", id: request.tool },
      context: {
        source: request.source,
        arguments: (toCedarValue(request.arguments) ?? {}) as cedar.CedarValueJson,
      },
      policies: { staticPolicies },
      entities: [
        { uid: { type: "Agent", id: request.agentId }, attrs: {}, parents: [] },
        { uid: { type: "Tool", id: request.tool }, attrs: { source: request.source }, parents: [] },
      ],
    });
  } catch (error) {
    return {
      decision: "deny",
      reasons: [],
      errors: [`policy evaluation failed: ${(error as Error).message}`],
    };
  }
  if (answer.type === "failure") {
    return { decision: "deny", reasons: [], errors: answer.errors.map((e) => e.message) };
  }
  const { decision: cedarDecision, diagnostics } = answer.response;
  const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
  const reasons = [...diagnostics.reason];
  // A policy that errored might have been a forbid: an evaluation error denies.
  if (errors.length > 0) return { decision: "deny", reasons, errors };
  let decision: GateDecision = cedarDecision === "allow" ? "allow" : "deny";
  if (decision === "allow" && reasons.some((id) => byId.get(id)?.requiresApproval)) {
    decision = "require_approval";
  }
  return { decision, reasons, errors };
}
