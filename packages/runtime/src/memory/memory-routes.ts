import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { MemoryConsolidation } from "./memory-consolidation.js";
import type { MemoryService } from "./memory-service.js";

export function registerMemoryRoutes(
  context: RouteBindingContext,
  memory: MemoryService,
  consolidation: MemoryConsolidation,
): void {
  bindRoute(context, routes.addMemory, ({ scope, body }) => memory.add(scope, body));
  bindRoute(context, routes.getMemory, ({ scope, query }) => memory.get(scope, query));
  bindRoute(context, routes.searchMemory, ({ scope, body }) => memory.search(scope, body));
  bindRoute(context, routes.consolidateMemory, ({ scope, params }) =>
    consolidation.consolidate(scope, params.agent_id),
  );
  bindRoute(context, routes.getConversationContext, ({ scope, query }) => memory.conversation(scope, query));
  bindRoute(context, routes.listAgentMemories, ({ scope, query }) => memory.list(scope, query));
  bindRoute(context, routes.deleteMemory, ({ scope, params }) => memory.delete(scope, params.memory_id));
}
