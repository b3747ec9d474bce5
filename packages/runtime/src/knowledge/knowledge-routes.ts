import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { KnowledgeService } from "./knowledge-service.js";

export function registerKnowledgeRoutes(context: RouteBindingContext, knowledge: KnowledgeService): void {
  bindRoute(context, routes.addKnowledgeItem, ({ scope, body }) => knowledge.add(scope, body));
  bindRoute(context, routes.searchKnowledge, ({ scope, body }) => knowledge.search(scope, body));
  bindRoute(context, routes.getRagContext, ({ scope, body }) => knowledge.context(scope, body));
  bindRoute(context, routes.deleteKnowledgeItem, ({ scope, params }) =>
    knowledge.delete(scope, params.item_id),
  );
}
