import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { AuditTrail } from "./audit-trail.js";

export function registerAuditRoutes(context: RouteBindingContext, audit: AuditTrail): void {
  bindRoute(context, routes.listAudit, ({ scope, query }) =>
    audit.list(
      scope,
      { before: query.before, action: query.action, actor: query.actor, outcome: query.outcome },
      query.limit,
    ),
  );
  bindRoute(context, routes.verifyAudit, ({ scope }) => audit.verify(scope));
}
