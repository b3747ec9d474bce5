import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { WorkflowService } from "./workflow-service.js";

export function registerWorkflowRoutes(context: RouteBindingContext, workflows: WorkflowService): void {
  bindRoute(context, routes.executeWorkflow, ({ scope, body }) => workflows.execute(scope, body));
  bindRoute(context, routes.createWorkflowDefinition, ({ scope, body }) => workflows.create(scope, body));
  bindRoute(context, routes.listWorkflowDefinitions, ({ scope }) => workflows.list(scope));
  bindRoute(context, routes.getWorkflowDefinition, ({ scope, params, query }) =>
    workflows.get(scope, params.workflow_id, query.version),
  );
  bindRoute(context, routes.createWorkflowVersion, ({ scope, params, body }) =>
    workflows.createVersion(scope, params.workflow_id, body),
  );
  bindRoute(context, routes.listWorkflowVersions, ({ scope, params }) =>
    workflows.versions(scope, params.workflow_id),
  );
  bindRoute(context, routes.listWorkflowExecutions, ({ scope, query }) => workflows.executions(scope, query));
  bindRoute(context, routes.getWorkflowExecution, ({ scope, params }) =>
    workflows.execution(scope, params.execution_id),
  );
  bindRoute(context, routes.cancelWorkflowExecution, ({ scope, params }) =>
    workflows.cancel(scope, params.execution_id),
  );
  bindRoute(context, routes.decideWorkflowApproval, ({ scope, params, body, requestId, sourceIp }) =>
    workflows.decide(scope, params.execution_id, body, { requestId, sourceIp }),
  );
}
