import type { Grant, RunLimits } from "@symbiont/protocol";
import type { ModelMessage } from "ai";
import type { PrincipalKind, Scope } from "../identity/scope.js";

/** A tool call the model asked for and the loop has still to handle. */
export interface PlannedCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  /** Set once a human approved it: the gate has spoken and the call runs. */
  approved?: boolean;
}

/** The run's creator, kept so that a run resumed after a restart acts with the same scope. */
export interface StoredScope {
  tenantId: string;
  principalId: string;
  principalKind: PrincipalKind;
  principalName: string;
  grants: Grant[];
  agentIds: string[] | null;
}

/** Everything the loop needs to continue a run, persisted with every step. */
export interface LoopState {
  scope: StoredScope;
  messages: ModelMessage[];
  queue: PlannedCall[];
  modelCalls: number;
  /** The traceparent of the request that started the run: its spans join that trace. */
  traceparent?: string;
}

export function storeScope(scope: Scope): StoredScope {
  return {
    tenantId: scope.tenantId,
    principalId: scope.principalId,
    principalKind: scope.principalKind,
    principalName: scope.principalName,
    grants: [...scope.grants],
    agentIds: scope.agentIds === null ? null : [...scope.agentIds],
  };
}

export function restoreScope(stored: StoredScope): Scope {
  return {
    tenantId: stored.tenantId,
    principalId: stored.principalId,
    principalKind: stored.principalKind,
    principalName: stored.principalName,
    grants: new Set(stored.grants),
    agentIds: stored.agentIds === null ? null : new Set(stored.agentIds),
  };
}

export function effectiveLimits(
  asked: Partial<RunLimits> | null | undefined,
  defaults: RunLimits,
): RunLimits {
  return {
    max_steps: asked?.max_steps ?? defaults.max_steps,
    max_tokens: asked?.max_tokens ?? defaults.max_tokens,
    timeout_seconds: asked?.timeout_seconds ?? defaults.timeout_seconds,
  };
}
