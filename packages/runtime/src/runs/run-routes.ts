import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { RunService } from "./run-service.js";

export function registerRunRoutes(context: RouteBindingContext, runs: RunService): void {
  bindRoute(context, routes.executeAgent, ({ scope, params, body, traceparent }) =>
    runs.execute(scope, params.agent_id, body, { traceparent }),
  );
  bindRoute(context, routes.listAgentRuns, ({ scope, params, query }) =>
    runs.list(scope, params.agent_id, query),
  );
  bindRoute(context, routes.getRun, ({ scope, params }) => runs.get(scope, params.run_id));
  bindRoute(context, routes.cancelRun, ({ scope, params }) => runs.cancel(scope, params.run_id));
  bindRoute(context, routes.listApprovals, ({ scope }) => runs.awaitingApproval(scope));
  bindRoute(context, routes.decideApproval, ({ scope, params, body, requestId, sourceIp }) =>
    runs.decide(scope, params.run_id, body, { requestId, sourceIp }),
  );
}
