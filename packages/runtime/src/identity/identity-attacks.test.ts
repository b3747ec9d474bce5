import { generateKeyPairSync } from "node:crypto";
import { buildPath, type ErrorBody, type RouteDefinition, routes } from "@symbiont/protocol";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import {
  bearer,
  createUser,
  login,
  PASSWORD,
  signWithRuntimeKey,
  userToken,
} from "../../../../test/support/identity.js";
import { awayFromMinuteEdge } from "../../../../test/support/rate-windows.js";
import { sampleAgent, useTestRuntime } from "../../../../test/support/runtime.js";

const allRoutes = Object.values(routes) as RouteDefinition[];
const noAuth = { authorization: "" };
const fields = (body: unknown) =>
  (((body as ErrorBody).details as { issues?: { field: string }[] } | null)?.issues ?? []).map(
    (i) => i.field,
  );

/** One attack: tenant A's resource as tenant B names it, with a valid body where the route takes one. */
interface CrossTenantCase {
  params: Record<string, string>;
  body?: unknown;
  /**
   * 404 for the tenant's own resources; tenants themselves are the instance's, so 403; 200 where the
   * contract answers an empty list for an unknown owner.
   */
  status: 404 | 403 | 200;
}

/** Tenant A's resources, which tenant B tries to reach. */
interface TenantResources {
  agent: string;
  key: string;
  user: string;
  role: string;
  secret: string;
  mcpServer: string;
  review: string;
  analysis: string;
  memory: string;
  knowledge: string;
  collection: string;
  run: string;
  policy: string;
  endpoint: string;
  inputServer: string;
  schedule: string;
  deployment: string;
  workflow: string;
  execution: string;
}

function crossTenantCases(a: TenantResources) {
  const cases: Record<string, CrossTenantCase> = {
    getAgentStatus: { params: { agent_id: a.agent }, status: 404 },
    getAgentMetrics: { params: { agent_id: a.agent }, status: 404 },
    getAgentDefinition: { params: { agent_id: a.agent }, status: 404 },
    updateAgent: { params: { agent_id: a.agent }, body: { description: "taken over" }, status: 404 },
    deleteAgent: { params: { agent_id: a.agent }, status: 404 },
    getApiKey: { params: { key_id: a.key }, status: 404 },
    revokeApiKey: { params: { key_id: a.key }, status: 404 },
    getUser: { params: { user_id: a.user }, status: 404 },
    updateUser: { params: { user_id: a.user }, body: { password: "taken over, all of it" }, status: 404 },
    deleteUser: { params: { user_id: a.user }, status: 404 },
    getRole: { params: { role_name: a.role }, status: 404 },
    updateRole: { params: { role_name: a.role }, body: { permissions: ["admin"] }, status: 404 },
    deleteRole: { params: { role_name: a.role }, status: 404 },
    listSecrets: { params: { agent_id: a.agent }, status: 200 },
    getSecret: { params: { agent_id: a.agent, secret_name: a.secret }, status: 404 },
    deleteSecret: { params: { agent_id: a.agent, secret_name: a.secret }, status: 404 },
    listSecretVersions: { params: { agent_id: a.agent, secret_name: a.secret }, status: 404 },
    getSecretVersion: { params: { agent_id: a.agent, secret_name: a.secret, version: "1" }, status: 404 },
    rotateSecret: {
      params: { agent_id: a.agent, secret_name: a.secret },
      body: { value: "taken over" },
      status: 404,
    },
    rollbackSecret: {
      params: { agent_id: a.agent, secret_name: a.secret },
      body: { version: 1 },
      status: 404,
    },
    // The contract answers zero counts for an agent it does not know.
    consolidateMemory: { params: { agent_id: a.agent }, status: 200 },
    deleteMemory: { params: { memory_id: a.memory }, status: 404 },
    deleteKnowledgeItem: { params: { item_id: a.knowledge }, status: 404 },
    getCollectionInfo: { params: { collection_name: a.collection }, status: 404 },
    deleteVectorCollection: { params: { collection_name: a.collection }, status: 404 },
    countVectors: { params: { collection_name: a.collection }, status: 404 },
    searchCollection: {
      params: { collection_name: a.collection },
      body: { vector: [1, 0, 0], limit: 5 },
      status: 404,
    },
    executeAgent: { params: { agent_id: a.agent }, body: { input: "taken over", wait: false }, status: 404 },
    listAgentRuns: { params: { agent_id: a.agent }, status: 404 },
    getRun: { params: { run_id: a.run }, status: 404 },
    cancelRun: { params: { run_id: a.run }, status: 404 },
    decideApproval: { params: { run_id: a.run }, body: { decision: "approve" }, status: 404 },
    getDeployment: { params: { deployment_id: a.deployment }, status: 404 },
    stopDeployment: { params: { deployment_id: a.deployment }, status: 404 },
    getDeploymentLogs: { params: { deployment_id: a.deployment }, status: 404 },
    getPolicy: { params: { policy_id: a.policy }, status: 404 },
    updatePolicy: { params: { policy_id: a.policy }, body: { enabled: false }, status: 404 },
    deletePolicy: { params: { policy_id: a.policy }, status: 404 },
    getTenant: { params: { tenant_id: "default" }, status: 403 },
    updateTenant: { params: { tenant_id: "default" }, body: { name: "taken over" }, status: 403 },
    getMcpServer: { params: { server_name: a.mcpServer }, status: 404 },
    connectMcpServer: { params: { server_name: a.mcpServer }, status: 404 },
    disconnectMcpServer: { params: { server_name: a.mcpServer }, status: 404 },
    deleteMcpServer: { params: { server_name: a.mcpServer }, status: 404 },
    callMcpTool: {
      params: { server_name: a.mcpServer, tool_name: "read_graph" },
      body: { arguments: {} },
      status: 404,
    },
    getReviewSession: { params: { review_id: a.review }, status: 404 },
    getAnalysisResults: { params: { analysis_id: a.analysis }, status: 404 },
    submitReviewDecision: {
      params: { review_id: a.review },
      body: { decision: "approve", comments: null, reviewer_id: "b" },
      status: 404,
    },
    getSignedTool: { params: { review_id: a.review }, status: 404 },
    getHttpEndpoint: { params: { endpoint_id: a.endpoint }, status: 404 },
    updateHttpEndpoint: {
      params: { endpoint_id: a.endpoint },
      body: { endpoint_id: a.endpoint, path: "/taken-over", status: "active" },
      status: 404,
    },
    deleteHttpEndpoint: { params: { endpoint_id: a.endpoint }, status: 404 },
    getEndpointMetrics: { params: { endpoint_id: a.endpoint }, status: 404 },
    enableHttpEndpoint: { params: { endpoint_id: a.endpoint }, status: 404 },
    disableHttpEndpoint: { params: { endpoint_id: a.endpoint }, status: 404 },
    getHttpInputServer: { params: { server_id: a.inputServer }, status: 404 },
    updateHttpInputServer: {
      params: { server_id: a.inputServer },
      body: { server_id: a.inputServer, config: { agent_id: "a-agent", port: 0, bind_address: "127.0.0.1" } },
      status: 404,
    },
    startHttpInputServer: { params: { server_id: a.inputServer }, status: 404 },
    stopHttpInputServer: { params: { server_id: a.inputServer }, status: 404 },
    deleteHttpInputServer: { params: { server_id: a.inputServer }, status: 404 },
    triggerWebhook: {
      params: { server_id: a.inputServer },
      body: { server_id: a.inputServer, payload: { take: "over" }, headers: {} },
      status: 404,
    },
    getHttpInputMetrics: { params: { server_id: a.inputServer }, status: 404 },
    getWorkflowDefinition: { params: { workflow_id: a.workflow }, status: 404 },
    listWorkflowVersions: { params: { workflow_id: a.workflow }, status: 404 },
    createWorkflowVersion: {
      params: { workflow_id: a.workflow },
      body: { steps: [{ id: "taken", type: "approval" }] },
      status: 404,
    },
    getWorkflowExecution: { params: { execution_id: a.execution }, status: 404 },
    cancelWorkflowExecution: { params: { execution_id: a.execution }, status: 404 },
    decideWorkflowApproval: {
      params: { execution_id: a.execution },
      body: { decision: "approve" },
      status: 404,
    },
    revokeToolSignature: { params: { review_id: a.review }, status: 404 },
    getSchedule: { params: { schedule_id: a.schedule }, status: 404 },
    updateSchedule: { params: { schedule_id: a.schedule }, body: { input: "taken over" }, status: 404 },
    pauseSchedule: { params: { schedule_id: a.schedule }, status: 404 },
    resumeSchedule: { params: { schedule_id: a.schedule }, status: 404 },
    deleteSchedule: { params: { schedule_id: a.schedule }, status: 404 },
    scheduleHistory: { params: { schedule_id: a.schedule }, status: 404 },
    scheduleNextTimes: { params: { schedule_id: a.schedule }, status: 404 },
  };
  return cases;
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`identity attacks on ${target.name}`, () => {
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 0 });
    let tenantA: TenantResources;
    let tenantBAdmin: string;

    beforeAll(async () => {
      await server.call("POST", "/agents", { body: sampleAgent("a-agent") });
      const key = await server.call("POST", "/keys", { body: { name: "a key", permissions: ["read"] } });
      const role = await server.call("POST", "/roles", {
        body: { name: "a-role", permissions: ["agents:read"] },
      });
      expect(role.status).toBe(201);
      const user = await createUser(server, "a-user", ["a-role"]);
      const secret = await server.call("POST", "/secrets", {
        body: { agent_id: "a-agent", secret_name: "a-secret", secret_value: "tenant a's value" },
      });
      expect(secret.status, secret.text).toBeLessThan(300);
      const memory = await server.call("POST", "/memory", {
        body: {
          content: { text: "tenant a remembers" },
          memory_type: "fact",
          memory_level: "long_term",
          agent_id: "a-agent",
        },
      });
      expect(memory.status, memory.text).toBeLessThan(300);
      const knowledge = await server.call("POST", "/knowledge", {
        body: {
          id: "a-knowledge",
          content: "tenant a knows this",
          metadata: { source: "a.md", source_type: "document" },
        },
      });
      expect(knowledge.status, knowledge.text).toBeLessThan(300);
      const collection = await server.call("POST", "/vectors/collections", {
        body: { name: "a-collection", vector_size: 3 },
      });
      expect(collection.status, collection.text).toBeLessThan(300);
      const mcp = await server.call("POST", "/mcp/servers", { body: { name: "a-mcp", command: ["node"] } });
      expect(mcp.status, mcp.text).toBe(200);
      const review = await server.call("POST", "/tool-review/sessions", {
        body: {
          tool: {
            name: "a_tool",
            description: "Tenant A's tool.",
            tool_schema: { type: "object", properties: {} },
            provider: { name: "a", public_key_url: null },
          },
          submitted_by: "a",
          priority: "normal",
        },
      });
      const reviewId = (review.body as { review_id: string }).review_id;
      let analysisId: string | undefined;
      for (let i = 0; i < 200 && !analysisId; i++) {
        const session = await server.call("GET", `/tool-review/sessions/${reviewId}`);
        analysisId = (session.body as { state: { analysis_id?: string } }).state.analysis_id;
        if (!analysisId) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // Approved and signed, so the signed-tool routes have something to protect.
      await server.call("POST", `/tool-review/sessions/${reviewId}/decisions`, {
        body: { decision: "approve", comments: null, reviewer_id: "a" },
      });
      expect(
        (
          await server.call("POST", "/tool-review/sign", {
            body: { review_id: reviewId, signing_key_id: "default" },
          })
        ).status,
      ).toBe(200);
      const policy = await server.call("POST", "/policies", {
        body: { name: "a policy", agent_id: "a-agent", policy: "permit(principal, action, resource);" },
      });
      expect(policy.status, policy.text).toBe(201);
      const schedule = await server.call("POST", "/schedules", {
        body: { name: "a schedule", agent_id: "a-agent", cron: "0 0 1 1 *", input: "tenant a's value" },
      });
      expect(schedule.status, schedule.text).toBe(201);
      // The model is unreachable here; the run exists all the same (and fails).
      const run = await server.call("POST", "/agents/a-agent/execute", {
        body: { input: "hi", wait: false },
      });
      expect(run.status, run.text).toBe(200);
      const endpoint = await server.call("POST", "/endpoints", {
        body: { path: "/a-hook", method: "POST", agent_id: "a-agent" },
      });
      expect(endpoint.status, endpoint.text).toBe(200);
      const inputServer = await server.call("POST", "/http-input/servers", {
        body: { config: { agent_id: "a-agent", port: 0, bind_address: "127.0.0.1" } },
      });
      expect(inputServer.status, inputServer.text).toBe(200);
      const deployment = await server.call("POST", "/agents/deploy", { body: { agent_id: "a-agent" } });
      expect(deployment.status, deployment.text).toBe(200);
      const workflow = await server.call("POST", "/workflow-definitions", {
        body: { name: "a-workflow", steps: [{ id: "hold", type: "approval", message: "tenant a asks" }] },
      });
      expect(workflow.status, workflow.text).toBe(201);
      const execution = await server.call("POST", "/workflows", {
        body: { workflow_id: "a-workflow", parameters: {}, agent_id: null },
      });
      expect((execution.body as { status: string }).status, execution.text).toBe("awaiting_approval");
      tenantA = {
        workflow: (workflow.body as { id: string }).id,
        execution: (execution.body as { execution_id: string }).execution_id,
        deployment: (deployment.body as { deployment_id: string }).deployment_id,
        endpoint: (endpoint.body as { endpoint_id: string }).endpoint_id,
        inputServer: (inputServer.body as { server_id: string }).server_id,
        memory: (memory.body as { memory: { id: string } }).memory.id,
        knowledge: "a-knowledge",
        collection: "a-collection",
        run: (run.body as { id: string }).id,
        policy: (policy.body as { id: string }).id,
        schedule: (schedule.body as { id: string }).id,
        agent: "a-agent",
        key: (key.body as { id: string }).id,
        user: user.id,
        role: "a-role",
        secret: "a-secret",
        mcpServer: "a-mcp",
        review: reviewId,
        analysis: analysisId as string,
      };
      const tenant = await server.call("POST", "/tenants", {
        body: { id: "tenant-b", name: "Tenant B", admin: { username: "b-admin", password: PASSWORD } },
      });
      expect(tenant.status, tenant.text).toBe(201);
      tenantBAdmin = (await login(server, "b-admin", { tenant: "tenant-b" })).access_token;
    });

    it("answers another tenant's ids with 404 on every route that takes an id", async () => {
      const cases = crossTenantCases(tenantA);
      const routesWithIds = allRoutes.filter((route) => route.params);
      for (const route of routesWithIds) {
        const attack = cases[route.id];
        expect(attack, `add a cross-tenant case for route ${route.id}`).toBeDefined();
        if (!attack) continue;
        const response = await server.call(route.method, buildPath(route.path, attack.params), {
          ...(attack.body ? { body: attack.body } : {}),
          headers: bearer(tenantBAdmin),
        });
        expect(response.status, `${route.id}: ${response.text}`).toBe(attack.status);
        expect(response.text, route.id).not.toContain("tenant a's value");
        if (attack.status === 200) expect(response.text, route.id).not.toContain(tenantA.secret);
      }
      // Nothing of tenant A changed, and tenant A still sees all of it.
      expect((await server.call("GET", `/agents/${tenantA.agent}`)).status).toBe(200);
      expect(
        ((await server.call("GET", `/keys/${tenantA.key}`)).body as { revoked_at: unknown }).revoked_at,
      ).toBeNull();
      expect((await server.call("GET", `/mcp/servers/${tenantA.mcpServer}`)).status).toBe(200);
      const signed = await server.call("GET", `/tool-review/signed/${tenantA.review}`);
      expect((signed.body as { revoked_at: unknown }).revoked_at).toBeNull();
      await login(server, "a-user");
      const remembered = await server.call(
        "GET",
        `/memory?agent_id=${tenantA.agent}&memory_id=${tenantA.memory}&limit=1`,
      );
      expect(remembered.status).toBe(200);
      expect((await server.call("GET", `/vectors/collections/${tenantA.collection}`)).status).toBe(200);
      const value = await server.call("GET", `/secrets/${tenantA.agent}/${tenantA.secret}`);
      expect((value.body as { value: string }).value).toBe("tenant a's value");
      expect((await server.call("GET", `/runs/${tenantA.run}`)).status).toBe(200);
      const endpoint = await server.call("GET", `/endpoints/${tenantA.endpoint}`);
      expect(endpoint.body).toMatchObject({ path: "/a-hook", status: "active" });
      const inputServer = await server.call("GET", `/http-input/servers/${tenantA.inputServer}`);
      expect(inputServer.body).toMatchObject({ status: "running" });
      const policy = (await server.call("GET", `/policies/${tenantA.policy}`)).body as { enabled: boolean };
      expect(policy.enabled).toBe(true);
      const schedule = (await server.call("GET", `/schedules/${tenantA.schedule}`)).body as {
        status: string;
      };
      expect(schedule.status).toBe("active");
      const deployment = (await server.call("GET", `/agents/deployments/${tenantA.deployment}`)).body as {
        status: string;
      };
      expect(deployment.status).not.toBe("stopped");
      const versions = (await server.call("GET", `/workflow-definitions/${tenantA.workflow}/versions`))
        .body as { items: unknown[] };
      expect(versions.items).toHaveLength(1);
      const execution = await server.call("GET", `/workflow-executions/${tenantA.execution}`);
      expect((execution.body as { status: string }).status).toBe("awaiting_approval");
    });

    it("lists only the caller's tenant", async () => {
      const as = { headers: bearer(tenantBAdmin) };
      expect((await server.call("GET", "/agents", as)).body).toEqual([]);
      expect(((await server.call("GET", "/keys", as)).body as { keys: unknown[] }).keys).toEqual([]);
      const users = (await server.call("GET", "/users", as)).body as { users: { username: string }[] };
      expect(users.users.map((u) => u.username)).toEqual(["b-admin"]);
      const roles = (await server.call("GET", "/roles", as)).body as { roles: { name: string }[] };
      expect(roles.roles.map((r) => r.name)).not.toContain("a-role");
      const audit = (await server.call("GET", "/audit", as)).body as { entries: { actor_name: string }[] };
      expect(audit.entries.every((e) => e.actor_name === "b-admin")).toBe(true);
      expect(((await server.call("GET", "/policies", as)).body as { items: unknown[] }).items).toEqual([]);
      expect(((await server.call("GET", "/schedules", as)).body as { items: unknown[] }).items).toEqual([]);
      expect(((await server.call("GET", "/approvals", as)).body as { items: unknown[] }).items).toEqual([]);
      expect((await server.call("GET", "/agents/deployments", as)).body).toEqual([]);
      const exported = (await server.call("GET", "/registry/export", as)).body as { agents: unknown[] };
      expect(exported.agents).toEqual([]);
      const stats = (await server.call("GET", "/registry/stats", as)).body as {
        deployments: { total: number };
      };
      expect(stats.deployments.total).toBe(0);
      const definitions = await server.call("GET", "/workflow-definitions", as);
      expect((definitions.body as { items: unknown[] }).items).toEqual([]);
      const executions = await server.call("GET", "/workflow-executions", as);
      expect((executions.body as { items: unknown[] }).items).toEqual([]);
      // Executing tenant A's workflow by name or id finds nothing.
      for (const id of ["a-workflow", tenantA.workflow]) {
        const run = await server.call("POST", "/workflows", {
          body: { workflow_id: id, parameters: {} },
          ...as,
        });
        expect(run.status).toBe(404);
      }
      // The same username in another tenant is another user.
      await createUser(server, "a-user", ["viewer"], { as: tenantBAdmin });
    });

    it("refuses tokens that are unsigned, forged, confused, mis-addressed, tampered or of the wrong type", async () => {
      const tokens = await login(server, "a-user");
      const [header, payload] = tokens.access_token.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      const kid = JSON.parse(Buffer.from(header, "base64url").toString("utf8")).kid as string;
      const admin = { ...claims, roles: ["admin"], permissions: ["admin"] };
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

      const jwks = (await server.call("GET", "/auth/jwks.json")).body as { keys: Record<string, unknown>[] };
      const publicJwk = jwks.keys.find((key) => key.kid === kid);
      const stranger = generateKeyPairSync("ed25519").privateKey;
      const now = Math.floor(Date.now() / 1000);

      const attacks: Record<string, string> = {
        "alg none": `${encode({ alg: "none", typ: "JWT" })}.${encode(admin)}.`,
        "alg none, kid kept": `${encode({ alg: "none", kid })}.${encode(admin)}.`,
        "HS256 keyed with the public JWK (algorithm confusion)": await new SignJWT(admin)
          .setProtectedHeader({ alg: "HS256", kid })
          .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
        "HS256 keyed with the public key's x": await new SignJWT(admin)
          .setProtectedHeader({ alg: "HS256", kid })
          .sign(Buffer.from(String(publicJwk?.x), "base64url")),
        "signed by a stranger's key under the real kid": await new SignJWT(admin)
          .setProtectedHeader({ alg: "EdDSA", kid })
          .sign(stranger),
        "unknown kid": await new SignJWT(admin)
          .setProtectedHeader({ alg: "EdDSA", kid: "made-up" })
          .sign(stranger),
        "claims swapped under the original signature": `${header}.${encode(admin)}.${tokens.access_token.split(".")[2]}`,
        "wrong audience": await signWithRuntimeKey(server, { ...claims, aud: "someone-else" }),
        "wrong issuer": await signWithRuntimeKey(server, { ...claims, iss: "evil" }),
        "no type": await signWithRuntimeKey(server, { ...claims, type: undefined }),
        "refresh token as access token": tokens.refresh_token,
        "not yet valid": await signWithRuntimeKey(server, { ...claims, iat: now, nbf: now + 3600 }),
      };
      for (const [name, token] of Object.entries(attacks)) {
        const response = await server.call("GET", "/agents", { headers: bearer(token) });
        expect(response.status, name).toBe(401);
        expect(response.text, name).not.toContain("expired");
      }
      // The genuine token still works.
      expect((await server.call("GET", "/agents", { headers: bearer(tokens.access_token) })).status).toBe(
        200,
      );
    });

    it("stops a viewer on every mutating route", async () => {
      const viewer = await userToken(server, "just-looking", ["viewer"]);
      // POSTs that only read (searches with a body) are reads, which a viewer may do.
      const mutating = allRoutes.filter(
        (route) =>
          route.method !== "GET" &&
          route.auth !== "public" &&
          route.auth !== "authenticated" &&
          !route.auth.endsWith(":read"),
      );
      expect(mutating.length).toBeGreaterThan(10);
      for (const route of mutating) {
        const params = Object.fromEntries(
          [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((match) => [match[1] as string, "x"]),
        );
        const response = await server.call(route.method, buildPath(route.path, params), {
          body: {},
          headers: bearer(viewer),
        });
        expect(response.status, `${route.id}: ${response.text}`).toBe(403);
      }
    });

    it("never lets a principal hand itself, or anyone, more than it holds", async () => {
      const role = await server.call("POST", "/roles", {
        body: {
          name: "people-manager",
          permissions: ["users:read", "users:manage", "roles:read", "roles:manage", "keys:write"],
        },
      });
      expect(role.status).toBe(201);
      const manager = await createUser(server, "manager", ["people-manager"]);
      const token = (await login(server, "manager")).access_token;
      const as = { headers: bearer(token) };

      const selfAdmin = await server.call("PATCH", `/users/${manager.id}`, {
        body: { roles: ["admin"] },
        ...as,
      });
      expect(selfAdmin.status).toBe(403);
      expect(fields(selfAdmin.body)).toEqual(["body.roles.0"]);
      const adminRole = await server.call("POST", "/roles", {
        body: { name: "sneaky", permissions: ["admin"] },
        ...as,
      });
      expect(adminRole.status).toBe(403);
      expect(fields(adminRole.body)).toEqual(["body.permissions.0"]);
      const widen = await server.call("PATCH", "/roles/people-manager", {
        body: { permissions: ["users:manage", "system:admin"] },
        ...as,
      });
      expect(widen.status).toBe(403);
      const adminKey = await server.call("POST", "/keys", {
        body: { name: "k", permissions: ["admin"] },
        ...as,
      });
      expect(adminKey.status).toBe(403);
      const adminUser = await server.call("POST", "/users", {
        body: { username: "puppet", password: PASSWORD, roles: ["admin"] },
        ...as,
      });
      expect(adminUser.status).toBe(403);
      // Taking over a stronger account by resetting its password.
      const admin = await createUser(server, "real-admin", ["admin"]);
      const takeover = await server.call("PATCH", `/users/${admin.id}`, {
        body: { password: "my password now, thanks" },
        ...as,
      });
      expect(takeover.status).toBe(403);
      expect(fields(takeover.body)).toEqual(["params.user_id"]);
      await login(server, "real-admin");

      // An operator writes resources, but managing users is not writing.
      const operator = await userToken(server, "op", ["operator"]);
      const byOperator = await server.call("POST", "/users", {
        body: { username: "op2", password: PASSWORD, roles: ["viewer"] },
        headers: bearer(operator),
      });
      expect(byOperator.status).toBe(403);
      // A tenant's admin is not the instance's.
      const newTenant = await server.call("POST", "/tenants", {
        body: { id: "tenant-c", name: "C" },
        headers: bearer(tenantBAdmin),
      });
      expect(newTenant.status).toBe(403);
      // Every instance-wide control refuses another tenant's admin.
      const instanceControls = allRoutes.filter((route) => route.auth === "system:admin");
      expect(instanceControls.length).toBeGreaterThanOrEqual(2);
      for (const route of instanceControls) {
        const params = Object.fromEntries(
          [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((match) => [match[1] as string, "x"]),
        );
        const response = await server.call(route.method, buildPath(route.path, params), {
          body: {},
          headers: bearer(tenantBAdmin),
        });
        expect(response.status, `${route.id}: ${response.text}`).toBe(403);
      }
    });

    it("names an edited login entry when the audit chain is verified", async () => {
      await login(server, "a-user");
      const entry = await server.runtime.store.db
        .selectFrom("audit_log")
        .select(["id", "seq"])
        .where("tenant_id", "=", "default")
        .where("action", "=", "login")
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      await server.runtime.store.db
        .updateTable("audit_log")
        .set({ outcome: "denied" })
        .where("id", "=", entry.id)
        .execute();
      const verification = (await server.call("GET", "/audit/verify")).body as {
        ok: boolean;
        first_broken: { seq: number; id: string };
      };
      expect(verification.ok).toBe(false);
      expect(verification.first_broken).toMatchObject({ seq: entry.seq, id: entry.id });
    });
  });

  describe.skipIf(!target.available)(`login brute force on ${target.name}`, () => {
    const server = useTestRuntime(target, { rateLimitAuthPerMinute: 5 });

    it("limits logins per source address with 429, Retry-After and X-RateLimit headers", async () => {
      await awayFromMinuteEdge();
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof server.call>> | undefined;
      for (let attempt = 0; attempt < 7; attempt++) {
        last = await server.call("POST", "/auth/login", {
          body: { username: `guess-${attempt}`, password: "hunter2hunter2" },
          headers: noAuth,
        });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(last?.headers.get("x-ratelimit-limit")).toBe("5");
      // Other routes keep their own budget.
      expect((await server.call("GET", "/agents")).status).toBe(200);
    });
  });
}
