import { type Grant, grantsAllow, type Permission } from "@symbiont/protocol";

/** `user`: a user logged in through a session; `jwt`: a v1 client's shared-secret token. */
export type PrincipalKind = "api_key" | "environment_key" | "jwt" | "user";

/**
 * Who is asking, on behalf of which tenant, with which grants. Services and repositories take a
 * Scope and never a client-supplied tenant id; users, JWTs and roles will resolve into the same shape.
 */
export interface Scope {
  readonly tenantId: string;
  readonly principalId: string;
  readonly principalKind: PrincipalKind;
  /** A label for humans and audit (the key's name). */
  readonly principalName: string;
  readonly grants: ReadonlySet<Grant>;
  /** The agents this principal is limited to; null for every agent of the tenant. */
  readonly agentIds: ReadonlySet<string> | null;
  /** For a logged-in user: the user, the session, and the roles the grants came from. */
  readonly user?: { readonly id: string; readonly sessionId: string; readonly roles: readonly string[] };
}

/** Whether the scope may see or touch the agent; an agent it may not is, to it, one that does not exist. */
export function scopeReachesAgent(scope: Scope, agentId: string): boolean {
  return scope.agentIds === null || scope.agentIds.has(agentId);
}

export function scopeAllows(scope: Scope, permission: Permission): boolean {
  return grantsAllow(scope.grants, permission);
}
