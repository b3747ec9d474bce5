import type { Scope } from "../identity/scope.js";
import { AppError } from "../server/app-error.js";

/**
 * MCP servers and tool reviews belong to the tenant, not to one agent: a credential limited to some
 * agents may read them but not change them, as with the tenant's own secrets.
 */
export function requireTenantWide(scope: Scope, what: string): void {
  if (scope.agentIds !== null)
    throw new AppError("FORBIDDEN", `This credential is limited to some agents and may not ${what}`);
}
