import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { PolicyService } from "./policy-service.js";

export function registerPolicyRoutes(context: RouteBindingContext, policies: PolicyService): void {
  bindRoute(context, routes.createPolicy, ({ scope, body }) => policies.create(scope, body));
  bindRoute(context, routes.listPolicies, ({ scope, query }) => policies.list(scope, query.agent_id));
  bindRoute(context, routes.getPolicy, ({ scope, params }) => policies.get(scope, params.policy_id));
  bindRoute(context, routes.updatePolicy, ({ scope, params, body }) =>
    policies.update(scope, params.policy_id, body),
  );
  bindRoute(context, routes.deletePolicy, ({ scope, params }) => policies.delete(scope, params.policy_id));
  bindRoute(context, routes.evaluatePolicies, ({ scope, body }) => policies.evaluate(scope, body));
}
