import {
  type ErrorBody,
  MeResponse,
  RoleList,
  TenantInfo,
  TenantList,
  UserInfo,
  UserList,
} from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { bearer, createUser, login, PASSWORD, userToken } from "../../../../test/support/identity.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

const fields = (body: unknown) =>
  (((body as ErrorBody).details as { issues?: { field: string }[] } | null)?.issues ?? []).map(
    (i) => i.field,
  );

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`users, roles and tenants on ${target.name}`, () => {
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 0 });

    it("creates, lists, changes and deletes users; usernames are unique regardless of case", async () => {
      const created = UserInfo.parse(
        (
          await server.call("POST", "/users", {
            body: { username: "Bob", password: PASSWORD, display_name: "Bob Ross", roles: ["viewer"] },
          })
        ).body,
      );
      expect(created).toMatchObject({
        username: "Bob",
        display_name: "Bob Ross",
        roles: ["viewer"],
        disabled: false,
      });
      expect(created).not.toHaveProperty("password_hash");
      const duplicate = await server.call("POST", "/users", {
        body: { username: "bob", password: PASSWORD, roles: ["viewer"] },
      });
      expect(duplicate.status).toBe(409);

      const listed = UserList.parse((await server.call("GET", "/users")).body);
      expect(listed.users.map((u) => u.username)).toContain("Bob");
      expect(JSON.stringify(listed)).not.toContain("argon2");

      const renamed = await server.call("PATCH", `/users/${created.id}`, {
        body: { display_name: "Robert" },
      });
      expect((renamed.body as UserInfo).display_name).toBe("Robert");
      const nothing = await server.call("PATCH", `/users/${created.id}`, { body: {} });
      expect(nothing.status).toBe(400);
      const unknownRole = await server.call("PATCH", `/users/${created.id}`, { body: { roles: ["wizard"] } });
      expect(unknownRole.status).toBe(400);
      expect(fields(unknownRole.body)).toEqual(["body.roles.0"]);

      expect((await server.call("DELETE", `/users/${created.id}`)).body).toEqual({
        deleted: true,
        id: created.id,
      });
      expect((await server.call("GET", `/users/${created.id}`)).status).toBe(404);
      expect((await server.call("DELETE", `/users/${created.id}`)).status).toBe(404);
    });

    it("refuses hostile usernames and oversized passwords with the field named", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ username: "../etc/passwd", password: PASSWORD }, "body.username"],
        [{ username: "tab\there", password: PASSWORD }, "body.username"],
        [{ username: "ünïcode", password: PASSWORD }, "body.username"],
        [{ username: "x".repeat(129), password: PASSWORD }, "body.username"],
        [{ username: "ok-name", password: "p".repeat(257) }, "body.password"],
        [{ username: "ok-name", password: `nul\u0000in the password` }, "body.password"],
        [{ username: "ok-name", password: PASSWORD, roles: ["viewer", "viewer"] }, "body.roles"],
        [{ username: "ok-name", password: PASSWORD, is_admin: true }, "body.is_admin"],
      ];
      for (const [body, field] of cases) {
        const response = await server.call("POST", "/users", { body });
        expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(fields(response.body)).toEqual([field]);
      }
      expect(
        UserList.parse((await server.call("GET", "/users")).body).users.map((u) => u.username),
      ).not.toContain("ok-name");
    });

    it("creates one user when the same username arrives ten times at once", async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          server.call("POST", "/users", {
            body: { username: "twin", password: PASSWORD, roles: ["viewer"] },
          }),
        ),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    });

    it("does not let a user delete or disable itself", async () => {
      const admin = await createUser(server, "self-admin", ["admin"]);
      const token = (await login(server, "self-admin")).access_token;
      expect((await server.call("DELETE", `/users/${admin.id}`, { headers: bearer(token) })).status).toBe(
        409,
      );
      const disable = await server.call("PATCH", `/users/${admin.id}`, {
        body: { disabled: true },
        headers: bearer(token),
      });
      expect(disable.status).toBe(409);
    });

    it("lists built-in roles, manages custom ones, and grants what a custom role says", async () => {
      const builtIn = RoleList.parse((await server.call("GET", "/roles")).body);
      expect(builtIn.roles.filter((r) => r.built_in).map((r) => r.name)).toEqual([
        "admin",
        "operator",
        "viewer",
        "user",
      ]);

      const reserved = await server.call("POST", "/roles", {
        body: { name: "admin", permissions: ["read"] },
      });
      expect(reserved.status).toBe(400);
      expect(fields(reserved.body)).toEqual(["body.name"]);
      const created = await server.call("POST", "/roles", {
        body: {
          name: "auditor",
          description: "reads the audit log",
          permissions: ["audit:read", "agents:read"],
        },
      });
      expect(created.status).toBe(201);
      expect(
        (await server.call("POST", "/roles", { body: { name: "auditor", permissions: ["read"] } })).status,
      ).toBe(409);

      const token = await userToken(server, "inspector", ["auditor"]);
      const me = MeResponse.parse((await server.call("GET", "/auth/me", { headers: bearer(token) })).body);
      expect(me.permissions).toEqual(["agents:read", "audit:read"]);
      expect((await server.call("GET", "/audit", { headers: bearer(token) })).status).toBe(200);
      expect((await server.call("GET", "/keys", { headers: bearer(token) })).status).toBe(403);

      const updated = await server.call("PATCH", "/roles/auditor", { body: { permissions: ["audit:read"] } });
      expect((updated.body as { permissions: string[] }).permissions).toEqual(["audit:read"]);
      expect((await server.call("PATCH", "/roles/viewer", { body: { description: "x" } })).status).toBe(403);
      const held = await server.call("DELETE", "/roles/auditor");
      expect(held.status).toBe(409);
      expect((held.body as ErrorBody).error).toContain("inspector");

      await server.call("POST", "/roles", { body: { name: "unused", permissions: ["read"] } });
      expect((await server.call("DELETE", "/roles/unused")).body).toEqual({ deleted: true, name: "unused" });
      expect((await server.call("GET", "/roles/unused")).status).toBe(404);
    });

    it("lets the instance admin create tenants with their first admin, who then runs the tenant", async () => {
      const bad = await server.call("POST", "/tenants", { body: { id: "Bad_Id", name: "x" } });
      expect(bad.status).toBe(400);
      expect(fields(bad.body)).toEqual(["body.id"]);
      const weak = await server.call("POST", "/tenants", {
        body: { id: "acme", name: "Acme", admin: { username: "root", password: "password1234" } },
      });
      expect(weak.status).toBe(400);
      expect(fields(weak.body)).toEqual(["body.admin.password"]);
      expect((await server.call("GET", "/tenants/acme")).status).toBe(404);

      const created = TenantInfo.parse(
        (
          await server.call("POST", "/tenants", {
            body: { id: "acme", name: "Acme Corp", admin: { username: "root", password: PASSWORD } },
          })
        ).body,
      );
      expect(created).toMatchObject({ id: "acme", name: "Acme Corp", user_count: 1 });
      expect((await server.call("POST", "/tenants", { body: { id: "acme", name: "again" } })).status).toBe(
        409,
      );

      const tenants = TenantList.parse((await server.call("GET", "/tenants")).body);
      expect(tenants.tenants.map((t) => t.id)).toEqual(expect.arrayContaining(["default", "acme"]));
      const renamed = await server.call("PATCH", "/tenants/acme", { body: { name: "Acme Inc" } });
      expect((renamed.body as TenantInfo).name).toBe("Acme Inc");

      const root = (await login(server, "root", { tenant: "acme" })).access_token;
      const staff = await server.call("POST", "/users", {
        body: { username: "staff", password: PASSWORD, roles: ["user"] },
        headers: bearer(root),
      });
      expect(staff.status).toBe(201);
      const me = MeResponse.parse((await server.call("GET", "/auth/me", { headers: bearer(root) })).body);
      expect(me.tenant).toEqual({ id: "acme", name: "Acme Inc" });
      // Logging into the wrong tenant finds no such user.
      const wrongTenant = await server.call("POST", "/auth/login", {
        body: { username: "staff", password: PASSWORD },
        headers: { authorization: "" },
      });
      expect(wrongTenant.status).toBe(401);
    });
  });
}
