import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import { serializeFrozen } from "../server/serialized-json.js";
import type { AgentService } from "./agent-service.js";

export function registerAgentRoutes(context: RouteBindingContext, agents: AgentService): void {
  bindRoute(context, routes.createAgent, ({ scope, body }) => agents.create(scope, body));
  bindRoute(context, routes.listAgents, ({ scope }) => {
    const ids = agents.listIds(scope);
    return ids instanceof Promise ? ids.then(serializeFrozen) : serializeFrozen(ids);
  });
  bindRoute(context, routes.getAgentStatus, ({ scope, params }) => agents.status(scope, params.agent_id));
  bindRoute(context, routes.getAgentMetrics, ({ scope, params }) => agents.metrics(scope, params.agent_id));
  bindRoute(context, routes.getAgentDefinition, ({ scope, params }) => agents.get(scope, params.agent_id));
  bindRoute(context, routes.listAgentDefinitions, ({ scope, query }) =>
    agents.listDefinitions(scope, query.limit, query.cursor),
  );
  bindRoute(context, routes.updateAgent, ({ scope, params, body }) =>
    agents.update(scope, params.agent_id, body),
  );
  bindRoute(context, routes.deleteAgent, ({ scope, params }) => agents.delete(scope, params.agent_id));
}
