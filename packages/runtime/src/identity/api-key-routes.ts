import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { ApiKeyService } from "./api-key-service.js";

export function registerApiKeyRoutes(context: RouteBindingContext, keys: ApiKeyService): void {
  bindRoute(context, routes.createApiKey, ({ scope, body }) => keys.create(scope, body));
  bindRoute(context, routes.listApiKeys, ({ scope }) => keys.list(scope));
  bindRoute(context, routes.getApiKey, ({ scope, params }) => keys.get(scope, params.key_id));
  bindRoute(context, routes.revokeApiKey, ({ scope, params }) => keys.revoke(scope, params.key_id));
}
