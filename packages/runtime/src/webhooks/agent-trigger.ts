import type { Run } from "@symbiont/protocol";
import type { Scope } from "../identity/scope.js";
import type { RunService } from "../runs/run-service.js";

/**
 * The identity a delivery runs under when no credential came with it (a signed or open webhook):
 * the owning tenant, allowed to execute this one agent and nothing else.
 */
export function deliveryScope(
  tenantId: string,
  principalId: string,
  principalName: string,
  agentId: string,
): Scope {
  return {
    tenantId,
    principalId,
    principalKind: "api_key",
    principalName,
    grants: new Set(["agents:execute"]),
    agentIds: new Set([agentId]),
  };
}

/** Statuses after which the run has a final answer. */
const FINISHED = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export const runFinished = (run: Run) => FINISHED.has(run.status);

/**
 * Agent output as a JSON object for a response body: JSON objects pass through, anything else is
 * wrapped as `{"output": ...}` (the contract wants an object).
 */
export function outputAsObject(output: string | null): Record<string, unknown> {
  if (output === null) return { output: null };
  try {
    const parsed = JSON.parse(output) as unknown;
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    return { output: parsed };
  } catch {
    return { output };
  }
}

/** Starts a run of the agent on the delivery and waits up to `waitSeconds` (0: not at all). */
export function triggerRun(
  runs: RunService,
  scope: Scope,
  agentId: string,
  input: string,
  waitSeconds: number,
) {
  return runs.execute(scope, agentId, { input, wait: waitSeconds > 0, wait_seconds: waitSeconds });
}
