import { randomUUID } from "node:crypto";
import {
  ENDPOINTS_PREFIX,
  type EndpointMetrics,
  type EndpointStatus,
  type HttpEndpointCreateRequest,
  type HttpEndpointInfo,
  type HttpEndpointUpdateRequest,
} from "@symbiont/protocol";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { conflict, fieldError, notFound } from "../server/app-error.js";
import { type EndpointRecord, type EndpointRepository, isUniqueViolation } from "./endpoint-repository.js";
import type { EndpointRouter } from "./endpoint-router.js";
import type { EndpointStats } from "./endpoint-stats.js";

const routeTaken = (method: string, path: string) =>
  conflict(`An endpoint for ${method} ${path} exists already; pick another path or update that one`);

/** Managing dynamic endpoints through the API; serving them is EndpointDispatcher's. */
export class EndpointService {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly agents: AgentRepository,
    private readonly router: EndpointRouter,
    private readonly stats: EndpointStats,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, request: HttpEndpointCreateRequest) {
    await this.requireAgent(scope, request.agent_id);
    const at = this.now().toISOString();
    const record: EndpointRecord = {
      tenantId: scope.tenantId,
      id: randomUUID(),
      method: request.method,
      path: request.path,
      agentId: request.agent_id,
      description: request.description ?? null,
      status: "active",
      authRequired: request.auth_required,
      rateLimit: request.rate_limit ?? null,
      timeoutSeconds: request.timeout_seconds,
      middleware: request.middleware,
      metadata: request.metadata,
      verification: request.verification ?? null,
      filters: request.filters,
      createdBy: scope.principalName,
      createdAt: at,
      updatedAt: at,
    };
    if (!(await this.endpoints.insert(record))) throw routeTaken(record.method, record.path);
    this.router.invalidate();
    return {
      endpoint_id: record.id,
      status: "created",
      message: `Serving ${record.method} ${ENDPOINTS_PREFIX}${record.path}`,
      endpoint_info: this.info(record),
      created_at: at,
    };
  }

  /** Which of these routes are served by endpoints that `origin` (a DSL registration) did not make. */
  async routesTakenOutside(
    scope: Scope,
    origin: string,
    requests: readonly Pick<HttpEndpointCreateRequest, "method" | "path">[],
  ): Promise<{ method: string; path: string; endpointId: string }[]> {
    const current = await this.endpoints.listByTenant(scope.tenantId);
    return requests.flatMap((request) => {
      const owner = current.find(
        (record) =>
          record.method === request.method &&
          record.path === request.path &&
          record.metadata.origin !== origin,
      );
      return owner ? [{ method: request.method, path: request.path, endpointId: owner.id }] : [];
    });
  }

  /**
   * The endpoints a DSL registration stores: those of its previous registration (marked with
   * `metadata.origin`) go, these come. Endpoints made through the API are never touched.
   */
  async replaceByOrigin(
    scope: Scope,
    origin: string,
    requests: readonly HttpEndpointCreateRequest[],
  ): Promise<string[]> {
    const previous = (await this.endpoints.listByTenant(scope.tenantId)).filter(
      (record) => record.metadata.origin === origin,
    );
    for (const record of previous) {
      await this.endpoints.delete(scope.tenantId, record.id);
      this.stats.forget(record.id);
    }
    const ids: string[] = [];
    try {
      for (const request of requests) {
        const created = await this.create(scope, { ...request, metadata: { ...request.metadata, origin } });
        ids.push(created.endpoint_id);
      }
    } finally {
      this.router.invalidate();
    }
    return ids;
  }

  async list(scope: Scope): Promise<HttpEndpointInfo[]> {
    return (await this.endpoints.listByTenant(scope.tenantId)).map((record) => this.info(record));
  }

  async get(scope: Scope, id: string): Promise<HttpEndpointInfo> {
    return this.info(await this.require(scope, id));
  }

  async update(scope: Scope, id: string, request: HttpEndpointUpdateRequest) {
    const current = await this.require(scope, id);
    if (request.agent_id != null && request.agent_id !== current.agentId)
      await this.requireAgent(scope, request.agent_id);
    const next: EndpointRecord = {
      ...current,
      method: request.method ?? current.method,
      path: request.path ?? current.path,
      agentId: request.agent_id ?? current.agentId,
      description: request.description ?? current.description,
      authRequired: request.auth_required ?? current.authRequired,
      rateLimit: request.rate_limit ?? current.rateLimit,
      timeoutSeconds: request.timeout_seconds ?? current.timeoutSeconds,
      status: request.status ?? current.status,
      middleware: request.middleware ?? current.middleware,
      metadata: request.metadata ?? current.metadata,
      verification: request.verification ?? current.verification,
      filters: request.filters ?? current.filters,
      updatedAt: this.later(current.updatedAt),
    };
    try {
      if (!(await this.endpoints.update(next))) throw notFound(`Endpoint "${id}"`);
    } catch (error) {
      if (isUniqueViolation(error)) throw routeTaken(next.method, next.path);
      throw error;
    }
    this.router.invalidate();
    return {
      endpoint_id: id,
      status: "updated",
      message: `Serving ${next.method} ${ENDPOINTS_PREFIX}${next.path} (${next.status})`,
      endpoint_info: this.info(next),
    };
  }

  async delete(scope: Scope, id: string) {
    if (!(await this.endpoints.delete(scope.tenantId, id))) throw notFound(`Endpoint "${id}"`);
    this.router.invalidate();
    this.stats.forget(id);
    return { deleted: true as const, endpoint_id: id };
  }

  async setStatus(scope: Scope, id: string, status: EndpointStatus) {
    const current = await this.require(scope, id);
    if (current.status !== status) {
      if (!(await this.endpoints.update({ ...current, status, updatedAt: this.later(current.updatedAt) })))
        throw notFound(`Endpoint "${id}"`);
      this.router.invalidate();
    }
    return { endpoint_id: id, status };
  }

  async metrics(scope: Scope, id: string): Promise<EndpointMetrics> {
    const record = await this.require(scope, id);
    return this.stats.metricsOf(id, record.status === "active" ? record.createdAt : null);
  }

  private info(record: EndpointRecord): HttpEndpointInfo {
    return {
      endpoint_id: record.id,
      path: record.path,
      method: record.method,
      agent_id: record.agentId,
      description: record.description,
      status: record.status,
      auth_required: record.authRequired,
      rate_limit: record.rateLimit,
      timeout_seconds: record.timeoutSeconds,
      middleware: record.middleware,
      metadata: record.metadata,
      verification: record.verification,
      filters: record.filters,
      url_path: `${ENDPOINTS_PREFIX}${record.path}`,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      created_by: record.createdBy,
      metrics: this.stats.metricsOf(record.id, record.status === "active" ? record.createdAt : null),
    };
  }

  /** updated_at moves forward on every update, even two within one millisecond. */
  private later(previous: string): string {
    const now = this.now();
    const before = Date.parse(previous);
    return (now.getTime() > before ? now : new Date(before + 1)).toISOString();
  }

  private async require(scope: Scope, id: string): Promise<EndpointRecord> {
    const record = await this.endpoints.findByTenantAndId(scope.tenantId, id);
    if (!record) throw notFound(`Endpoint "${id}"`);
    return record;
  }

  private async requireAgent(scope: Scope, agentId: string): Promise<void> {
    const agent = scopeReachesAgent(scope, agentId)
      ? await this.agents.findByTenantAndId(scope, agentId)
      : undefined;
    if (!agent)
      throw fieldError("VALIDATION_FAILED", "body.agent_id", `no agent "${agentId}" in your tenant`);
  }
}
