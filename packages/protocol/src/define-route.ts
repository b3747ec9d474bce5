import type { RouteDefinition } from "./routes.js";

/**
 * The route table's identity helper for route groups kept in files of their own. It imports only
 * types from routes.ts, so the groups can be spread into `routes` without an import cycle at run time.
 */
export function route<const R extends RouteDefinition>(definition: R): R {
  return definition;
}
