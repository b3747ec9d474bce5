import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { DslService } from "./dsl-service.js";

export function registerDslRoutes(context: RouteBindingContext, dsl: DslService): void {
  bindRoute(context, routes.compileDsl, ({ scope, body }) => dsl.compile(scope, body));
}
