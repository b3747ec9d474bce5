import { routes } from "@symbiont/protocol";
import { actorOf } from "../audit/audit-trail.js";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { SecretService } from "./secret-service.js";

export function registerSecretRoutes(context: RouteBindingContext, secrets: SecretService): void {
  bindRoute(context, routes.configureSecretBackend, ({ scope, body }) => secrets.configure(scope, body));
  bindRoute(context, routes.storeSecret, ({ scope, body }) => secrets.store(scope, body));
  bindRoute(context, routes.listSecrets, ({ scope, params }) => secrets.list(scope, params.agent_id));
  bindRoute(context, routes.getSecret, ({ scope, params, requestId, sourceIp }) =>
    secrets.readCurrent(scope, params.agent_id, params.secret_name, {
      actor: actorOf(scope),
      requestId,
      sourceIp,
      purpose: "api",
    }),
  );
  bindRoute(context, routes.deleteSecret, ({ scope, params }) =>
    secrets.delete(scope, params.agent_id, params.secret_name),
  );
  bindRoute(context, routes.listSecretVersions, ({ scope, params }) =>
    secrets.versions(scope, params.agent_id, params.secret_name),
  );
  bindRoute(context, routes.getSecretVersion, ({ scope, params, requestId, sourceIp }) =>
    secrets.readVersion(scope, params.agent_id, params.secret_name, params.version, {
      actor: actorOf(scope),
      requestId,
      sourceIp,
      purpose: "api",
    }),
  );
  bindRoute(context, routes.rotateSecret, ({ scope, params, body }) =>
    secrets.rotate(scope, params.agent_id, params.secret_name, body.value, body.grace_seconds),
  );
  bindRoute(context, routes.rollbackSecret, ({ scope, params, body }) =>
    secrets.rollback(scope, params.agent_id, params.secret_name, body.version),
  );
}
