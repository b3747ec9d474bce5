import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { DeploymentService } from "./deployment-service.js";

export function registerDeploymentRoutes(context: RouteBindingContext, deployments: DeploymentService): void {
  bindRoute(context, routes.deployAgent, ({ scope, body }) => deployments.deploy(scope, body));
  bindRoute(context, routes.listDeployments, ({ scope, query }) => deployments.list(scope, query.agent_id));
  bindRoute(context, routes.getDeployment, ({ scope, params }) =>
    deployments.get(scope, params.deployment_id),
  );
  bindRoute(context, routes.stopDeployment, ({ scope, params }) =>
    deployments.stop(scope, params.deployment_id),
  );
  bindRoute(context, routes.getDeploymentLogs, ({ scope, params, query }) =>
    deployments.logs(scope, params.deployment_id, query),
  );
  bindRoute(context, routes.planDeployment, ({ scope, body }) => deployments.plan(scope, body));
  bindRoute(context, routes.registryStats, ({ scope }) => deployments.stats(scope));
  bindRoute(context, routes.exportRegistry, ({ scope }) => deployments.exportRegistry(scope));
  bindRoute(context, routes.importRegistry, ({ scope, body }) => deployments.importRegistry(scope, body));
}
