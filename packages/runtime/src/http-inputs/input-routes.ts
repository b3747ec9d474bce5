import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { InputServerService } from "./input-service.js";

export function registerInputRoutes(context: RouteBindingContext, inputs: InputServerService): void {
  bindRoute(context, routes.createHttpInputServer, ({ scope, body }) => inputs.create(scope, body.config));
  bindRoute(context, routes.listHttpInputServers, ({ scope }) => inputs.list(scope));
  bindRoute(context, routes.getHttpInputServer, ({ scope, params }) => inputs.get(scope, params.server_id));
  bindRoute(context, routes.updateHttpInputServer, ({ scope, params, body }) =>
    inputs.update(scope, params.server_id, body.config),
  );
  bindRoute(context, routes.startHttpInputServer, ({ scope, params }) =>
    inputs.start(scope, params.server_id),
  );
  bindRoute(context, routes.stopHttpInputServer, ({ scope, params }) => inputs.stop(scope, params.server_id));
  bindRoute(context, routes.deleteHttpInputServer, ({ scope, params }) =>
    inputs.delete(scope, params.server_id),
  );
  bindRoute(context, routes.triggerWebhook, ({ scope, params, body, requestId }) =>
    inputs.trigger(scope, params.server_id, body.payload, body.headers, requestId),
  );
  bindRoute(context, routes.getHttpInputMetrics, ({ scope, params }) =>
    inputs.metrics(scope, params.server_id),
  );
}
