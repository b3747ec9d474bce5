import { RequestAbortedError, TimeoutError } from "./errors.js";
import {
  type ClientInternals,
  type ClientOptions,
  type RequestOptions,
  resolveOptions,
  validateTimeout,
} from "./options.js";
import { AgentsResource } from "./resources/agents.js";
import { AuditResource } from "./resources/audit.js";
import { AuthResource } from "./resources/auth.js";
import { DeploymentsResource } from "./resources/deployments.js";
import { DslResource } from "./resources/dsl.js";
import { EndpointsResource } from "./resources/endpoints.js";
import { HttpInputsResource } from "./resources/http-inputs.js";
import { KeysResource } from "./resources/keys.js";
import { KnowledgeResource } from "./resources/knowledge.js";
import { McpResource } from "./resources/mcp.js";
import { MemoryResource } from "./resources/memory.js";
import { PoliciesResource } from "./resources/policies.js";
import { RegistryResource } from "./resources/registry.js";
import { RolesResource } from "./resources/roles.js";
import { RunsResource } from "./resources/runs.js";
import { SchedulesResource } from "./resources/schedules.js";
import { SecretsResource } from "./resources/secrets.js";
import { SystemResource } from "./resources/system.js";
import { TenantsResource } from "./resources/tenants.js";
import { ToolReviewResource } from "./resources/tool-review.js";
import { UsersResource } from "./resources/users.js";
import { VectorsResource } from "./resources/vectors.js";
import { WorkflowsResource } from "./resources/workflows.js";
import { Transport } from "./transport.js";
import type { HealthResponse, ReadinessResponse } from "./types.js";

export interface WaitForHealthyOptions {
  /** Overall deadline in milliseconds; defaults to the client's timeout. */
  timeout?: number;
  /** Pause between polls in milliseconds. */
  interval?: number;
  signal?: AbortSignal;
}

const DEFAULT_POLL_INTERVAL_MS = 250;

/**
 * The Symbiont runtime's API. Settings come from the options, then SYMBIONT_* environment variables,
 * then a `.env` file in the working directory (Node only), then defaults.
 */
export class SymbiontClient {
  readonly agents: AgentsResource;
  readonly audit: AuditResource;
  readonly auth: AuthResource;
  readonly deployments: DeploymentsResource;
  readonly dsl: DslResource;
  readonly registry: RegistryResource;
  readonly keys: KeysResource;
  readonly policies: PoliciesResource;
  readonly roles: RolesResource;
  readonly runs: RunsResource;
  readonly schedules: SchedulesResource;
  readonly workflows: WorkflowsResource;
  readonly secrets: SecretsResource;
  readonly mcp: McpResource;
  readonly endpoints: EndpointsResource;
  readonly httpInputs: HttpInputsResource;
  readonly toolReview: ToolReviewResource;
  readonly system: SystemResource;
  readonly tenants: TenantsResource;
  readonly users: UsersResource;
  readonly knowledge: KnowledgeResource;
  readonly memory: MemoryResource;
  readonly vectors: VectorsResource;
  readonly #transport: Transport;

  constructor(options: ClientOptions = {}, internals: ClientInternals = {}) {
    this.#transport = new Transport(resolveOptions(options, internals));
    this.agents = new AgentsResource(this.#transport);
    this.audit = new AuditResource(this.#transport);
    this.auth = new AuthResource(this.#transport);
    this.deployments = new DeploymentsResource(this.#transport);
    this.dsl = new DslResource(this.#transport);
    this.registry = new RegistryResource(this.#transport);
    this.keys = new KeysResource(this.#transport);
    this.policies = new PoliciesResource(this.#transport);
    this.roles = new RolesResource(this.#transport);
    this.runs = new RunsResource(this.#transport);
    this.schedules = new SchedulesResource(this.#transport);
    this.workflows = new WorkflowsResource(this.#transport);
    this.secrets = new SecretsResource(this.#transport);
    this.mcp = new McpResource(this.#transport);
    this.endpoints = new EndpointsResource(this.#transport);
    this.httpInputs = new HttpInputsResource(this.#transport);
    this.toolReview = new ToolReviewResource(this.#transport);
    this.system = new SystemResource(this.#transport);
    this.tenants = new TenantsResource(this.#transport);
    this.users = new UsersResource(this.#transport);
    this.knowledge = new KnowledgeResource(this.#transport);
    this.memory = new MemoryResource(this.#transport);
    this.vectors = new VectorsResource(this.#transport);
  }

  get baseUrl(): string {
    return this.#transport.config.baseUrl;
  }

  get timeout(): number {
    return this.#transport.config.timeout;
  }

  get maxRetries(): number {
    return this.#transport.config.maxRetries;
  }

  /** Liveness: answers while the process serves requests. No credential needed. */
  async health(options?: RequestOptions): Promise<HealthResponse> {
    return this.#transport.route("health", {}, options);
  }

  /**
   * Readiness of the server's dependencies. A server that is not ready answers 503, which throws an
   * ApiError whose `body` is the ReadinessResponse naming the failing checks. Being a 503, it is
   * retried like any other; pass `{ maxRetries: 0 }` for a single look.
   */
  async ready(options?: RequestOptions): Promise<ReadinessResponse> {
    return this.#transport.route("ready", {}, options);
  }

  /**
   * Polls /health until it answers 200 (returning that answer) or the deadline passes (throwing
   * TimeoutError with the last failure as its cause). Any failure short of the caller aborting is
   * taken as "not up yet", since a starting server refuses connections or answers 503.
   */
  async waitForHealthy(options: WaitForHealthyOptions = {}): Promise<HealthResponse> {
    const budget =
      options.timeout === undefined
        ? this.timeout
        : validateTimeout(options.timeout, "waitForHealthy timeout");
    const interval =
      options.interval === undefined
        ? DEFAULT_POLL_INTERVAL_MS
        : validateTimeout(options.interval, "waitForHealthy interval");
    const deadline = Date.now() + budget;
    let lastError: unknown;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        return await this.health({
          signal: options.signal,
          timeout: Math.min(this.timeout, remaining),
          maxRetries: 0,
        });
      } catch (error) {
        if (error instanceof RequestAbortedError) throw error;
        // A last attempt cut short by the deadline says less than what the server answered before.
        if (!(error instanceof TimeoutError && lastError !== undefined)) lastError = error;
      }
      const pause = Math.min(interval, deadline - Date.now());
      if (pause > 0) await this.#transport.pause(pause, options.signal, "GET /health");
    }
    const last = lastError instanceof Error ? `; last: ${String(lastError)}` : "";
    throw new TimeoutError(`GET /health did not answer 200 within ${budget} ms${last}`, budget, {
      cause: lastError,
    });
  }
}
