import { DslCompileRequest, DslCompileResponse } from "./dsl.js";
import type { RouteDefinition } from "./routes.js";

/** Routes of the .symbi language, spread into `routes`. A type-only import keeps this free of a cycle. */
export const dslRoutes = {
  compileDsl: {
    id: "compileDsl",
    method: "POST",
    path: "/dsl/compile",
    summary:
      "Check and compile .symbi source; unless validate_only, register its agent. Errors in the source answer 200 with success false",
    tag: "dsl",
    auth: "dsl:write",
    contract: true,
    body: DslCompileRequest,
    response: DslCompileResponse,
  },
} as const satisfies Record<string, RouteDefinition>;
