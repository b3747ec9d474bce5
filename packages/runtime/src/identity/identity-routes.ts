import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { AccountService } from "./account-service.js";
import type { RoleService } from "./role-service.js";
import type { SessionService } from "./session-service.js";
import type { SigningKeys } from "./signing-keys.js";
import type { TenantService } from "./tenant-service.js";
import type { UserService } from "./user-service.js";

export interface IdentityServices {
  sessions: SessionService;
  account: AccountService;
  users: UserService;
  roles: RoleService;
  tenants: TenantService;
  signingKeys: SigningKeys;
}

export function registerIdentityRoutes(context: RouteBindingContext, services: IdentityServices): void {
  const { sessions, account, users, roles, tenants, signingKeys } = services;
  bindRoute(context, routes.login, ({ body, requestId, sourceIp, userAgent }) =>
    sessions.login(body, { requestId, sourceIp, userAgent }),
  );
  bindRoute(context, routes.refreshSession, ({ body, requestId, sourceIp, userAgent }) =>
    sessions.refresh(body.refresh_token, { requestId, sourceIp, userAgent }),
  );
  bindRoute(context, routes.logout, ({ scope }) => sessions.logout(scope));
  bindRoute(context, routes.me, ({ scope }) => sessions.me(scope));
  bindRoute(context, routes.changePassword, ({ scope, body }) => account.changePassword(scope, body));
  bindRoute(context, routes.enrollTotp, ({ scope }) => account.enrollTotp(scope));
  bindRoute(context, routes.confirmTotp, ({ scope, body }) => account.confirmTotp(scope, body.code));
  bindRoute(context, routes.disableTotp, ({ scope, body }) => account.disableTotp(scope, body.password));

  const jwks = async () => ({ keys: await signingKeys.published() });
  bindRoute(context, routes.jwks, jwks);
  // The well-known address (RFC 8414 / OpenID discovery) sits outside the API prefix.
  context.app.get("/.well-known/jwks.json", async (_request, reply) => {
    reply.header("cache-control", "public, max-age=300").type("application/json");
    return jwks();
  });
  // Instance-only: route binding refuses system:admin outside the instance tenant.
  bindRoute(context, routes.rotateSigningKey, async () => {
    const rotated = await signingKeys.rotate();
    return {
      kid: rotated.kid,
      algorithm: "EdDSA",
      retired: rotated.retired,
      rotated_at: new Date().toISOString(),
    };
  });

  bindRoute(context, routes.listUsers, ({ scope }) => users.list(scope));
  bindRoute(context, routes.createUser, ({ scope, body }) => users.create(scope, body));
  bindRoute(context, routes.getUser, ({ scope, params }) => users.get(scope, params.user_id));
  bindRoute(context, routes.updateUser, ({ scope, params, body }) =>
    users.update(scope, params.user_id, body),
  );
  bindRoute(context, routes.deleteUser, ({ scope, params }) => users.delete(scope, params.user_id));

  bindRoute(context, routes.listRoles, ({ scope }) => roles.list(scope));
  bindRoute(context, routes.createRole, ({ scope, body }) => roles.create(scope, body));
  bindRoute(context, routes.getRole, ({ scope, params }) => roles.get(scope, params.role_name));
  bindRoute(context, routes.updateRole, ({ scope, params, body }) =>
    roles.update(scope, params.role_name, body),
  );
  bindRoute(context, routes.deleteRole, ({ scope, params }) => roles.delete(scope, params.role_name));

  bindRoute(context, routes.listTenants, ({ scope }) => tenants.list(scope));
  bindRoute(context, routes.createTenant, ({ scope, body }) => tenants.create(scope, body));
  bindRoute(context, routes.getTenant, ({ scope, params }) => tenants.get(scope, params.tenant_id));
  bindRoute(context, routes.updateTenant, ({ scope, params, body }) =>
    tenants.update(scope, params.tenant_id, body),
  );
}
