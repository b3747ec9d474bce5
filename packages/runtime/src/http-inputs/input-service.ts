import { randomUUID } from "node:crypto";
import type {
  HttpInputConfig,
  HttpInputMetrics,
  HttpInputServerInfo,
  WebhookTriggerResponse,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { AgentRepository } from "../agents/agent-repository.js";
import type { AuditTrail } from "../audit/audit-trail.js";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { SecretReferenceError } from "../secrets/secret-resolver.js";
import { conflict, fieldError, notFound } from "../server/app-error.js";
import type { DeliveryOutcome, InputDeliveries, InputDelivery } from "./input-deliveries.js";
import { InputListener, type ListenerAnswer, type ListenerRequest } from "./input-listener.js";
import type { InputServerRecord, InputServerRepository } from "./input-repository.js";

interface LiveServer {
  listener: InputListener | undefined;
  lastError: string | undefined;
  /** Deliveries through /trigger, counted with the listener's. */
  triggered: number;
  triggerFailed: number;
  triggerLatencyMs: number;
}

const keyOf = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;

function parsePayload(rawBody: string): { ok: true; payload: unknown } | { ok: false } {
  if (rawBody === "") return { ok: true, payload: {} };
  try {
    return { ok: true, payload: JSON.parse(rawBody) };
  } catch {
    return { ok: false };
  }
}

/**
 * HTTP input servers: each a listener on its own host and port. Which should run is stored
 * (`desired`), so start-up brings them back; whether each does run, and why not, is this node's.
 */
export class InputServerService {
  private readonly live = new Map<string, LiveServer>();
  /** One change at a time per server: two starts racing would bind twice and lose a listener. */
  private readonly changing = new Map<string, Promise<unknown>>();
  private readonly requests: Counter<"server_id" | "outcome"> | undefined;

  constructor(
    private readonly servers: InputServerRepository,
    private readonly agents: AgentRepository,
    private readonly deliveries: InputDeliveries,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    registry: Registry | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.requests = registry
      ? new Counter({
          name: "symbiont_http_input_requests_total",
          help: "Deliveries to HTTP input servers (listener and trigger), by server and outcome",
          labelNames: ["server_id", "outcome"],
          registers: [registry],
        })
      : undefined;
  }

  async create(scope: Scope, config: HttpInputConfig): Promise<HttpInputServerInfo> {
    await this.requireAgents(scope, config);
    const at = this.now().toISOString();
    const record: InputServerRecord = {
      tenantId: scope.tenantId,
      id: randomUUID(),
      config,
      desired: "running",
      createdBy: scope.principalName,
      createdAt: at,
      updatedAt: at,
    };
    await this.servers.insert(record);
    await this.exclusive(record, () => this.bind(record));
    return this.info(record);
  }

  async list(scope: Scope): Promise<HttpInputServerInfo[]> {
    return (await this.servers.listByTenant(scope.tenantId)).map((record) => this.info(record));
  }

  async get(scope: Scope, id: string): Promise<HttpInputServerInfo> {
    return this.info(await this.require(scope, id));
  }

  async update(scope: Scope, id: string, config: HttpInputConfig): Promise<HttpInputServerInfo> {
    const found = await this.require(scope, id);
    await this.requireAgents(scope, config);
    const next = await this.exclusive(found, async () => {
      const current = await this.require(scope, id);
      await this.servers.update(scope.tenantId, id, { config, updatedAt: this.now().toISOString() });
      const next = { ...current, config };
      if (current.desired === "running") {
        await this.release(current);
        await this.bind(next);
      }
      return next;
    });
    return this.info(next);
  }

  async start(scope: Scope, id: string) {
    const found = await this.require(scope, id);
    const error = await this.exclusive(found, async () => {
      // Read again under the lock: a concurrent update may have changed the config.
      const record = await this.require(scope, id);
      await this.servers.update(scope.tenantId, id, {
        desired: "running",
        updatedAt: this.now().toISOString(),
      });
      return this.live.get(keyOf(record.tenantId, id))?.listener ? undefined : this.bind(record);
    });
    if (error) throw conflict(`Server "${id}" could not start: ${error}`);
    return { server_id: id, status: "running" as const };
  }

  async stop(scope: Scope, id: string) {
    const record = await this.require(scope, id);
    await this.exclusive(record, async () => {
      await this.servers.update(scope.tenantId, id, {
        desired: "stopped",
        updatedAt: this.now().toISOString(),
      });
      await this.release(record);
      this.live.delete(keyOf(record.tenantId, id));
    });
    return { server_id: id, status: "stopped" as const };
  }

  async delete(scope: Scope, id: string) {
    const record = await this.require(scope, id);
    await this.exclusive(record, async () => {
      await this.release(record);
      this.live.delete(keyOf(record.tenantId, id));
    });
    await this.servers.delete(scope.tenantId, id);
    return { deleted: true as const, server_id: id };
  }

  /** The contract's trigger: a delivery made through the API, routed and run as a real one. */
  async trigger(
    scope: Scope,
    id: string,
    payload: Record<string, unknown>,
    headers: Record<string, string>,
    requestId: string,
  ): Promise<WebhookTriggerResponse> {
    const record = await this.require(scope, id);
    const started = performance.now();
    const delivery: InputDelivery = {
      path: record.config.path,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      rawBody: JSON.stringify(payload),
      requestId,
    };
    // A caller limited to some agents may not reach others through a routing rule.
    const outcome = await this.deliveries.process(record, delivery, payload, (agentId) => {
      if (!scopeReachesAgent(scope, agentId)) throw notFound(`Agent "${agentId}"`);
    });
    const ms = performance.now() - started;
    const live = this.liveOf(record);
    live.triggered++;
    live.triggerLatencyMs += ms;
    const failed = outcome.code >= 400;
    if (failed) live.triggerFailed++;
    this.requests?.inc({ server_id: id, outcome: failed ? "error" : "success" });
    return {
      status: outcome.status,
      response_code: outcome.code,
      response_body: typeof outcome.body === "string" ? { output: outcome.body } : outcome.body,
      processing_time_ms: Math.round(ms * 1000) / 1000,
      agent_id: outcome.agentId,
      run_id: outcome.runId,
    };
  }

  async metrics(scope: Scope, id: string): Promise<HttpInputMetrics> {
    const record = await this.require(scope, id);
    const live = this.live.get(keyOf(record.tenantId, id));
    const listener = live?.listener;
    const processed = (listener?.processed ?? 0) + (live?.triggered ?? 0);
    const latencySum =
      (listener ? listener.averageLatencyMs * listener.processed : 0) + (live?.triggerLatencyMs ?? 0);
    return {
      server_id: id,
      requests_processed: processed,
      requests_failed: (listener?.failed ?? 0) + (live?.triggerFailed ?? 0),
      active_connections: listener?.activeConnections ?? 0,
      average_latency_ms: processed === 0 ? 0 : Math.round((latencySum / processed) * 1000) / 1000,
      uptime_seconds: listener ? Math.floor((Date.now() - listener.startedAt) / 1000) : 0,
    };
  }

  /** Start-up: brings back every server that was running. A failed bind is reported, not fatal. */
  async restore(): Promise<void> {
    for (const record of await this.servers.listDesiredRunning()) {
      const error = await this.exclusive(record, () => this.bind(record));
      if (error)
        this.log.warn(
          { server_id: record.id, tenant: record.tenantId, err: error },
          "HTTP input server not restored",
        );
    }
  }

  /** Shutdown: releases every port. */
  async closeAll(): Promise<void> {
    const listeners = [...this.live.values()].flatMap((live) => (live.listener ? [live.listener] : []));
    this.live.clear();
    await Promise.all(listeners.map((listener) => listener.close()));
  }

  private exclusive<T>(record: InputServerRecord, change: () => Promise<T>): Promise<T> {
    const key = keyOf(record.tenantId, record.id);
    const previous = this.changing.get(key) ?? Promise.resolve();
    const next = previous.then(change, change);
    const settled = next.catch(() => {});
    this.changing.set(key, settled);
    void settled.then(() => {
      if (this.changing.get(key) === settled) this.changing.delete(key);
    });
    return next;
  }

  private liveOf(record: InputServerRecord): LiveServer {
    const key = keyOf(record.tenantId, record.id);
    let live = this.live.get(key);
    if (!live) {
      live = {
        listener: undefined,
        lastError: undefined,
        triggered: 0,
        triggerFailed: 0,
        triggerLatencyMs: 0,
      };
      this.live.set(key, live);
    }
    return live;
  }

  /** Listens with the record's config; the reason when the bind failed. */
  private async bind(record: InputServerRecord): Promise<string | undefined> {
    const live = this.liveOf(record);
    const listener = new InputListener(
      record.config,
      (request) => this.answer(record, request),
      (_ms, failed) => this.requests?.inc({ server_id: record.id, outcome: failed ? "error" : "success" }),
    );
    try {
      await listener.listen();
      live.listener = listener;
      live.lastError = undefined;
      return undefined;
    } catch (error) {
      live.listener = undefined;
      live.lastError = (error as Error).message;
      return live.lastError;
    }
  }

  private async release(record: InputServerRecord): Promise<void> {
    const live = this.live.get(keyOf(record.tenantId, record.id));
    const listener = live?.listener;
    if (live) live.listener = undefined;
    await listener?.close();
  }

  /** A delivery that reached the listener, audited when the server's `audit_enabled` says so. */
  private async answer(record: InputServerRecord, request: ListenerRequest): Promise<ListenerAnswer> {
    const requestId = randomUUID();
    const outcome = await this.handleDelivery(record, request, requestId);
    if (record.config.audit_enabled) {
      await this.audit.record({
        actor: {
          tenantId: record.tenantId,
          id: `http-input:${record.id}`,
          kind: "http_input",
          name: `http input ${record.id}`,
        },
        action: "httpInputDelivery",
        target: outcome.agentId ? { type: "agent", id: outcome.agentId } : null,
        status: outcome.answer.status,
        requestId,
        sourceIp: request.ip,
        details: { server_id: record.id, path: request.path, run_id: outcome.runId },
      });
    }
    return outcome.answer;
  }

  private async handleDelivery(
    record: InputServerRecord,
    request: ListenerRequest,
    requestId: string,
  ): Promise<{ answer: ListenerAnswer; agentId: string | null; runId: string | null }> {
    const answer = (a: ListenerAnswer) => ({ answer: a, agentId: null, runId: null });
    const delivery: InputDelivery = {
      path: request.path,
      headers: request.headers,
      rawBody: request.rawBody,
      requestId,
    };
    let refused: string | undefined;
    try {
      refused = await this.deliveries.authenticate(record, delivery);
    } catch (error) {
      if (!(error instanceof SecretReferenceError)) throw error;
      return answer({ status: 503, body: { error: "This server's credential secret is not available" } });
    }
    if (refused)
      return answer({ status: 401, body: { error: refused }, headers: { "www-authenticate": "Bearer" } });
    const parsed = parsePayload(request.rawBody);
    if (!parsed.ok)
      return answer({ status: 400, body: { error: "The body is not valid JSON", field: "body" } });
    if (request.rawBody.includes("\u0000") || !request.rawBody.isWellFormed())
      return answer({
        status: 400,
        body: { error: "The body must be text without NUL characters", field: "body" },
      });
    const outcome: DeliveryOutcome = await this.deliveries.process(record, delivery, parsed.payload);
    return {
      answer: { status: outcome.code, body: outcome.body },
      agentId: outcome.agentId,
      runId: outcome.runId,
    };
  }

  private info(record: InputServerRecord): HttpInputServerInfo {
    const live = this.live.get(keyOf(record.tenantId, record.id));
    const listener = live?.listener;
    const status = listener
      ? "running"
      : live?.lastError && record.desired === "running"
        ? "error"
        : "stopped";
    return {
      server_id: record.id,
      config: record.config,
      status,
      ...(listener ? { uptime_seconds: Math.floor((Date.now() - listener.startedAt) / 1000) } : {}),
      requests_processed: (listener?.processed ?? 0) + (live?.triggered ?? 0),
      active_connections: listener?.activeConnections ?? 0,
      ...(status === "error" && live?.lastError ? { last_error: live.lastError } : {}),
      listening_url: listener?.url ?? null,
    };
  }

  private async require(scope: Scope, id: string): Promise<InputServerRecord> {
    const record = await this.servers.findByTenantAndId(scope.tenantId, id);
    if (!record) throw notFound(`HTTP input server "${id}"`);
    return record;
  }

  /** The server's agent and every routing rule's must exist in the caller's tenant. */
  private async requireAgents(scope: Scope, config: HttpInputConfig): Promise<void> {
    const named = [
      ["body.config.agent_id", config.agent_id],
      ...(config.routing_rules ?? []).map((rule, i) => [
        `body.config.routing_rules.${i}.agent_id`,
        rule.agent_id,
      ]),
    ] as const;
    for (const [field, agentId] of named) {
      const agent = scopeReachesAgent(scope, agentId)
        ? await this.agents.findByTenantAndId(scope, agentId)
        : undefined;
      if (!agent) throw fieldError("VALIDATION_FAILED", field, `no agent "${agentId}" in your tenant`);
    }
  }
}
