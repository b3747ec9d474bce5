export { type HttpMethod, IDEMPOTENT_METHODS, type RouteDefinition, route } from "./route.js";

import type { z } from "zod";
import {
  AgentCreatedResponse,
  AgentCreateRequest,
  AgentDefinition,
  AgentDefinitionListQuery,
  AgentDefinitionPage,
  AgentDeletedResponse,
  AgentIdParams,
  AgentMetrics,
  AgentStatusResponse,
  AgentUpdateRequest,
} from "./agents.js";
import { AuditListQuery, AuditPage, AuditVerification } from "./audit.js";
import { deploymentRoutes } from "./deployment-routes.js";
import { dslRoutes } from "./dsl-routes.js";
import { endpointRoutes } from "./endpoint-routes.js";
import { httpInputRoutes } from "./http-input-routes.js";
import { identityRoutes } from "./identity-routes.js";
import {
  ApiKeyCreatedResponse,
  ApiKeyCreateRequest,
  ApiKeyIdParams,
  ApiKeyInfo,
  ApiKeyList,
  ApiKeyRevokedResponse,
} from "./keys.js";
import { knowledgeRoutes } from "./knowledge-routes.js";
import { AgentIdList } from "./lists.js";
import { mcpRoutes } from "./mcp-routes.js";
import { memoryRoutes } from "./memory-routes.js";
import { policyRoutes } from "./policy-routes.js";
import { route } from "./route.js";
import { runRoutes } from "./run-routes.js";
import { scheduleRoutes } from "./schedule-routes.js";
import { secretRoutes } from "./secret-routes.js";
import { ConfigReloadResponse, HealthResponse, ReadinessResponse, SystemMetrics } from "./system.js";
import { toolReviewRoutes } from "./tool-review-routes.js";
import { vectorRoutes } from "./vector-routes.js";
import { workflowRoutes } from "./workflow-routes.js";

export const routes = {
  health: route({
    id: "health",
    method: "GET",
    path: "/health",
    summary: "Liveness: the process is up and serving",
    tag: "system",
    auth: "public",
    contract: true,
    response: HealthResponse,
  }),
  ready: route({
    id: "ready",
    method: "GET",
    path: "/ready",
    summary: "Readiness: dependencies (database) answer; 503 when not",
    tag: "system",
    auth: "public",
    contract: false,
    response: ReadinessResponse,
  }),
  systemMetrics: route({
    id: "systemMetrics",
    method: "GET",
    path: "/metrics",
    summary: "Process and host metrics, measured now",
    tag: "system",
    auth: "system:read",
    contract: true,
    response: SystemMetrics,
  }),
  reloadConfig: route({
    id: "reloadConfig",
    method: "POST",
    path: "/admin/config/reload",
    summary: "Re-read configuration and apply the reloadable keys (same as SIGHUP)",
    tag: "system",
    auth: "system:admin",
    contract: false,
    response: ConfigReloadResponse,
  }),
  createAgent: route({
    id: "createAgent",
    method: "POST",
    path: "/agents",
    summary: "Create an agent with the id you choose",
    tag: "agents",
    auth: "agents:write",
    contract: true,
    body: AgentCreateRequest,
    response: AgentCreatedResponse,
    successStatus: 201,
  }),
  listAgents: route({
    id: "listAgents",
    method: "GET",
    path: "/agents",
    summary: "Ids of all agents (a bare array of strings)",
    tag: "agents",
    auth: "agents:read",
    contract: true,
    response: AgentIdList,
  }),
  getAgentStatus: route({
    id: "getAgentStatus",
    method: "GET",
    path: "/agents/{agent_id}",
    summary: "An agent's state and resource usage",
    tag: "agents",
    auth: "agents:read",
    contract: true,
    params: AgentIdParams,
    response: AgentStatusResponse,
  }),
  getAgentMetrics: route({
    id: "getAgentMetrics",
    method: "GET",
    path: "/agents/{agent_id}/metrics",
    summary: "An agent's task counters and timings",
    tag: "agents",
    auth: "agents:read",
    contract: true,
    params: AgentIdParams,
    response: AgentMetrics,
  }),
  getAgentDefinition: route({
    id: "getAgentDefinition",
    method: "GET",
    path: "/agents/{agent_id}/definition",
    summary: "An agent's full definition",
    tag: "agents",
    auth: "agents:read",
    contract: false,
    params: AgentIdParams,
    response: AgentDefinition,
  }),
  listAgentDefinitions: route({
    id: "listAgentDefinitions",
    method: "GET",
    path: "/agent-definitions",
    summary: "Full agent definitions, oldest first, a page at a time",
    tag: "agents",
    auth: "agents:read",
    contract: false,
    query: AgentDefinitionListQuery,
    response: AgentDefinitionPage,
  }),
  updateAgent: route({
    id: "updateAgent",
    method: "PATCH",
    path: "/agents/{agent_id}",
    summary: "Change some fields of an agent (null or absent = unchanged)",
    tag: "agents",
    auth: "agents:write",
    contract: false,
    params: AgentIdParams,
    body: AgentUpdateRequest,
    response: AgentDefinition,
  }),
  deleteAgent: route({
    id: "deleteAgent",
    method: "DELETE",
    path: "/agents/{agent_id}",
    summary: "Delete an agent",
    tag: "agents",
    auth: "agents:delete",
    contract: false,
    params: AgentIdParams,
    response: AgentDeletedResponse,
  }),
  createApiKey: route({
    id: "createApiKey",
    method: "POST",
    path: "/keys",
    summary: "Create an API key; the whole key is in this answer only",
    tag: "keys",
    auth: "keys:write",
    contract: false,
    body: ApiKeyCreateRequest,
    response: ApiKeyCreatedResponse,
    successStatus: 201,
  }),
  listApiKeys: route({
    id: "listApiKeys",
    method: "GET",
    path: "/keys",
    summary: "API keys of your tenant, newest first, without their secrets",
    tag: "keys",
    auth: "keys:read",
    contract: false,
    response: ApiKeyList,
  }),
  getApiKey: route({
    id: "getApiKey",
    method: "GET",
    path: "/keys/{key_id}",
    summary: "One API key, without its secret",
    tag: "keys",
    auth: "keys:read",
    contract: false,
    params: ApiKeyIdParams,
    response: ApiKeyInfo,
  }),
  revokeApiKey: route({
    id: "revokeApiKey",
    method: "DELETE",
    path: "/keys/{key_id}",
    summary: "Revoke an API key; it stops working on the next request",
    tag: "keys",
    auth: "keys:write",
    contract: false,
    params: ApiKeyIdParams,
    response: ApiKeyRevokedResponse,
  }),
  listAudit: route({
    id: "listAudit",
    method: "GET",
    path: "/audit",
    summary: "Your tenant's audit log, newest first, filtered",
    tag: "audit",
    auth: "audit:read",
    contract: false,
    query: AuditListQuery,
    response: AuditPage,
  }),
  verifyAudit: route({
    id: "verifyAudit",
    method: "GET",
    path: "/audit/verify",
    summary: "Check your tenant's audit chain; names the first entry that was altered or removed",
    tag: "audit",
    auth: "audit:read",
    contract: false,
    response: AuditVerification,
  }),
  ...identityRoutes,
  ...secretRoutes,
  ...dslRoutes,
  ...deploymentRoutes,
  ...memoryRoutes,
  ...knowledgeRoutes,
  ...vectorRoutes,
  ...mcpRoutes,
  ...toolReviewRoutes,
  ...runRoutes,
  ...policyRoutes,
  ...httpInputRoutes,
  ...endpointRoutes,
  ...scheduleRoutes,
  ...workflowRoutes,
} as const;

export type Routes = typeof routes;
export type RouteId = keyof Routes;

type Field<R, K extends string> = R extends { readonly [P in K]: infer S extends z.ZodType } ? S : never;
/** What a caller sends for a route (before defaults and coercion). */
export type RouteBody<R extends RouteId> = z.input<Field<Routes[R], "body">>;
export type RouteQuery<R extends RouteId> = z.input<Field<Routes[R], "query">>;
export type RouteParams<R extends RouteId> = z.input<Field<Routes[R], "params">>;
/** What the server answers for a route. */
export type RouteResponse<R extends RouteId> = z.output<Routes[R]["response"]>;

/** Fills `{param}` segments, percent-encoding each value. */
export function buildPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
