import { z } from "zod";

/**
 * The contract's coarse permissions. A principal holding one of them holds that action on every
 * domain (`read` implies `agents:read`); `admin` implies everything.
 */
export const CoarsePermission = z.enum(["read", "write", "delete", "execute", "admin"]);
export type CoarsePermission = z.infer<typeof CoarsePermission>;

/**
 * Fine-grained permissions, `domain:action`. Routes declare one of these. `manage` is no coarse
 * action on purpose: managing users, roles and tenants takes `admin` or the fine permission itself,
 * never a plain `write`.
 */
export const Permission = z.enum([
  "system:read",
  "system:admin",
  "agents:read",
  "agents:write",
  "agents:delete",
  "keys:read",
  "keys:write",
  "audit:read",
  "users:read",
  "users:manage",
  "roles:read",
  "roles:manage",
  "tenants:manage",
  "secrets:list",
  "secrets:read",
  "secrets:write",
  "secrets:delete",
  "secrets:admin",
  "dsl:write",
  "deployments:read",
  "deployments:write",
  "memory:read",
  "memory:write",
  "memory:delete",
  "knowledge:read",
  "knowledge:write",
  "knowledge:delete",
  "vectors:read",
  "vectors:write",
  "vectors:delete",
  "mcp:read",
  "mcp:write",
  "mcp:delete",
  "mcp:execute",
  "tools:read",
  "tools:write",
  // Deciding on and signing tools: no coarse action, so only admin or the grant itself holds it.
  "tools:review",
  "agents:execute",
  "runs:read",
  "approvals:read",
  "approvals:decide",
  "policies:read",
  "policies:write",
  "policies:delete",
  "endpoints:read",
  "endpoints:write",
  "endpoints:delete",
  "inputs:read",
  "inputs:write",
  "inputs:delete",
  "schedules:read",
  "schedules:write",
  "schedules:delete",
  "workflows:read",
  "workflows:write",
  "workflows:execute",
]);
export type Permission = z.infer<typeof Permission>;

export type Grant = CoarsePermission | Permission;

export const Grant = z.union([CoarsePermission, Permission]);

/** Whether a set of grants allows a fine permission. Kept here so the SDK can answer it offline. */
export function grantsAllow(grants: Iterable<Grant>, required: Permission): boolean {
  const action = required.slice(required.indexOf(":") + 1);
  // Listing names is a lesser read: whoever may read (coarse or in the domain) may list.
  const coarse = action === "list" ? "read" : action;
  const widerFine = action === "list" ? `${required.slice(0, required.indexOf(":"))}:read` : undefined;
  for (const grant of grants) {
    if (grant === "admin" || grant === required || grant === coarse || grant === widerFine) return true;
  }
  return false;
}
