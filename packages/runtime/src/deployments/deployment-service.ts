import { randomUUID } from "node:crypto";
import {
  type AgentCreateRequest,
  type AgentDeployResponse,
  type DeploymentLogPage,
  type DeploymentOverrides,
  type DeploymentPlan,
  type DeploymentStatus,
  type ExecutorKind,
  REGISTRY_FORMAT,
  type RegistryDocument,
  type RegistryImportResult,
  type RegistryStats,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import type { AgentRepository, AgentRow } from "../agents/agent-repository.js";
import type { AgentService } from "../agents/agent-service.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import type { DeploymentEvent, RunEvents } from "../runs/run-events.js";
import { SecretReferenceError, type SecretResolver } from "../secrets/secret-resolver.js";
import { AppError, fieldError, notFound } from "../server/app-error.js";
import { deploymentLimits, splitEnv } from "./deployment-limits.js";
import type { DeploymentRepository, DeploymentRow } from "./deployment-repository.js";
import type { DeploymentExecutor, DeploymentSpec, ExecutorReports } from "./executor.js";
import { buildManifests } from "./kubernetes/manifests.js";

const LIST_LIMIT = 500;

export interface DeployInput {
  agent_id: string;
  environment: string;
  config_overrides: DeploymentOverrides;
}

export interface KubernetesSettings {
  namespace: string;
  image: string;
  runtimeUrl: () => string;
}

/**
 * Deployments: what the operator asked for (persisted, so a restarted runtime reconciles to it) and
 * what the executor reports (status, restarts, limit kills, failures), announced on the live events.
 */
/** How often a node checks that what it runs is still wanted (a stop may arrive through another node). */
const SYNC_INTERVAL_MS = 2000;

export class DeploymentService {
  private executor: DeploymentExecutor | undefined;
  private sync: NodeJS.Timeout | undefined;

  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly agentRows: AgentRepository,
    private readonly agents: AgentService,
    private readonly events: RunEvents,
    private readonly secrets: SecretResolver,
    private readonly nodeId: string,
    private readonly kubernetes: KubernetesSettings,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The executor is created after the service, since it reports back to it. */
  attach(executor: DeploymentExecutor): void {
    this.executor = executor;
  }

  /** What executors report through: persisted first, then announced. */
  reports(): ExecutorReports {
    const run = (work: () => Promise<void>) =>
      void work().catch((error: unknown) =>
        this.log.error({ err: (error as Error).message }, "recording a deployment report failed"),
      );
    return {
      running: (spec, endpointUrl) =>
        run(async () => {
          const at = this.now().toISOString();
          const moved = await this.deployments.updateWhileDesired(spec.tenantId, spec.deploymentId, {
            status: "running",
            endpoint_url: endpointUrl,
            last_error: null,
            updated_at: at,
          });
          if (moved) this.announce(spec, "status", "running", null, "all replicas are ready", at);
        }),
      failed: (spec, error, lastLog) =>
        run(async () => {
          const at = this.now().toISOString();
          const moved = await this.deployments.updateWhileDesired(spec.tenantId, spec.deploymentId, {
            status: "failed",
            // Not brought back after a restart: it failed on its own, a new deploy is a decision.
            desired: "stopped",
            last_error: error,
            last_log: JSON.stringify(lastLog),
            endpoint_url: null,
            updated_at: at,
            stopped_at: at,
          });
          if (moved) this.announce(spec, "status", "failed", null, error, at);
        }),
      replica: (spec, kind, replica, detail) =>
        run(async () => {
          const at = this.now().toISOString();
          const row = await this.deployments.findInTenant(spec.tenantId, spec.deploymentId);
          if (!row) return;
          // A report that arrives after a stop or a failure must not overwrite what those recorded.
          await this.deployments.updateWhileDesired(spec.tenantId, spec.deploymentId, {
            ...(kind === "restarted" ? { restarts: row.restarts + 1 } : {}),
            ...(kind === "limit_exceeded" || kind === "crashed" || kind === "unresponsive"
              ? { last_error: detail }
              : {}),
            updated_at: at,
          });
          this.announce(spec, kind, row.status as DeploymentStatus, replica, detail, at);
        }),
      processGroups: (spec, groups) =>
        run(() =>
          this.deployments.update(spec.tenantId, spec.deploymentId, {
            process_groups: JSON.stringify(groups),
          }),
        ),
    };
  }

  async deploy(scope: Scope, input: DeployInput): Promise<AgentDeployResponse> {
    const executor = this.requireExecutor();
    const agent = await this.agentRows.findByTenantAndId(scope, input.agent_id);
    if (!agent) throw notFound(`Agent "${input.agent_id}"`);
    // Checked now, so a missing secret is the caller's 400 rather than a deployment that fails later.
    await this.resolveSecretEnv(scope.tenantId, agent.id, input.config_overrides);
    const at = this.now().toISOString();
    const id = randomUUID();
    const row: DeploymentRow = {
      tenant_id: scope.tenantId,
      id,
      agent_id: agent.id,
      environment: input.environment,
      executor: executor.kind,
      config_overrides: JSON.stringify(input.config_overrides),
      limits: JSON.stringify(deploymentLimits(input.config_overrides)),
      replicas: input.config_overrides.replicas ?? 1,
      desired: "running",
      status: "deploying",
      endpoint_url: null,
      restarts: 0,
      last_error: null,
      last_log: "[]",
      process_groups: "[]",
      owner: this.nodeId,
      created_by: scope.principalId,
      deployed_at: at,
      updated_at: at,
      stopped_at: null,
    };
    await this.deployments.insert(row);
    this.announce(this.specOf(row, {}), "status", "deploying", null, "deploying", at);
    await this.startInBackground(row);
    return this.toResponse(row);
  }

  async get(scope: Scope, id: string): Promise<AgentDeployResponse> {
    return this.toResponse(await this.require(scope, id));
  }

  async list(scope: Scope, agentId: string | undefined): Promise<AgentDeployResponse[]> {
    const rows = await this.deployments.list(scope, agentId, LIST_LIMIT);
    return rows.map((row) => this.toResponse(row));
  }

  async stop(scope: Scope, id: string): Promise<{ deployment_id: string; status: DeploymentStatus }> {
    const row = await this.require(scope, id);
    const at = this.now().toISOString();
    await this.deployments.update(row.tenant_id, row.id, {
      desired: "stopped",
      status: "stopped",
      endpoint_url: null,
      updated_at: at,
      stopped_at: row.stopped_at ?? at,
    });
    try {
      await this.requireExecutor().stop(row.tenant_id, row.id);
    } catch (error) {
      // The row already says stopped, so the replicas will not come back; what is left is cleanup.
      throw new AppError(
        "UNAVAILABLE",
        `Deployment "${row.id}" is marked stopped, but its replicas could not all be removed: ${(error as Error).message}. Send the stop again to retry`,
      );
    }
    if (row.status !== "stopped")
      this.announce(this.specOf(row, {}), "status", "stopped", null, "stopped", at);
    return { deployment_id: row.id, status: "stopped" };
  }

  /** Stops every deployment of an agent that is going away; its replicas could only fail from now on. */
  async stopAllOf(scope: Scope, agentId: string): Promise<void> {
    const rows = await this.deployments.list(scope, agentId, LIST_LIMIT);
    for (const row of rows) {
      if (row.desired === "running" || row.status === "deploying" || row.status === "running")
        await this.stop(scope, row.id);
    }
  }

  async logs(
    scope: Scope,
    id: string,
    query: { after?: number | undefined; limit?: number | undefined; wait?: number | undefined },
    signal?: AbortSignal,
  ): Promise<DeploymentLogPage> {
    const row = await this.require(scope, id);
    const buffer = this.requireExecutor().logs(row.tenant_id, row.id);
    const after = query.after ?? 0;
    const live = row.status === "deploying" || row.status === "running";
    if (buffer && live && query.wait) await buffer.waitFor(after, query.wait * 1000, signal);
    const page = buffer?.after(after, query.limit ?? 500) ?? { lines: [], next: after };
    const current = (await this.deployments.findInTenant(row.tenant_id, row.id)) ?? row;
    return {
      deployment_id: row.id,
      status: current.status as DeploymentStatus,
      lines: page.lines,
      next_after: page.next,
    };
  }

  /** The manifests the Kubernetes executor would apply; secret values are described, never shown. */
  /** The agent need not exist yet: `symbiont deploy file.symbi --dry-run` plans before registering. */
  async plan(scope: Scope, input: DeployInput): Promise<DeploymentPlan> {
    const agent = { id: input.agent_id };
    const { plain, references } = splitEnv(input.config_overrides.env ?? {});
    const manifests = buildManifests({
      deploymentId: `${agent.id}-${input.environment}`,
      tenantId: scope.tenantId,
      agentId: agent.id,
      environment: input.environment,
      namespace: this.kubernetes.namespace,
      image: input.config_overrides.image ?? this.kubernetes.image,
      replicas: input.config_overrides.replicas ?? 1,
      limits: deploymentLimits(input.config_overrides),
      runtimeUrl: this.kubernetes.runtimeUrl(),
      env: plain,
      secretEnv: Object.fromEntries(
        Object.entries(references).map(([name, reference]) => [
          name,
          `<resolved from ${reference} when applied>`,
        ]),
      ),
    });
    return { executor: "kubernetes", manifests };
  }

  async stats(scope: Scope): Promise<RegistryStats> {
    const counts = await this.deployments.countByStatus(scope);
    const { total: agents } = await this.agentRows.countByState(scope);
    const byStatus = { deploying: 0, running: 0, stopped: 0, failed: 0 };
    let restarts = 0;
    for (const count of counts) {
      if (count.status in byStatus) byStatus[count.status as DeploymentStatus] += count.count;
      restarts += count.restarts;
    }
    const running = await this.deployments.list(scope, undefined, LIST_LIMIT);
    const replicasRunning = running
      .filter((row) => row.status === "running")
      .reduce(
        (sum, row) =>
          sum +
          this.requireExecutor()
            .instances(row.tenant_id, row.id)
            .filter((r) => r.state === "running").length,
        0,
      );
    return {
      agents,
      deployments: { total: counts.reduce((sum, c) => sum + c.count, 0), ...byStatus },
      replicas_running: replicasRunning,
      restarts_total: restarts,
      executor: this.requireExecutor().kind as ExecutorKind,
    };
  }

  async exportRegistry(scope: Scope): Promise<RegistryDocument> {
    const agents: AgentCreateRequest[] = [];
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page: AgentRow[] = await this.agentRows.listPage(scope, 500, after);
      for (const row of page) {
        agents.push({
          id: row.id,
          name: row.name,
          description: row.description,
          system_prompt: row.system_prompt,
          tools: JSON.parse(row.tools) as string[],
          model: row.model,
          temperature: row.temperature,
          top_p: row.top_p,
          max_tokens: row.max_tokens,
        });
      }
      const last = page.at(-1);
      if (page.length < 500 || !last) break;
      after = { createdAt: last.created_at, id: last.id };
    }
    const deployments = (await this.deployments.list(scope, undefined, 10_000)).map((row) => ({
      agent_id: row.agent_id,
      environment: row.environment,
      config_overrides: JSON.parse(row.config_overrides) as DeploymentOverrides,
      running: row.desired === "running",
    }));
    return { format: REGISTRY_FORMAT, exported_at: this.now().toISOString(), agents, deployments };
  }

  async importRegistry(
    scope: Scope,
    document: {
      agents: AgentCreateRequest[];
      deployments: {
        agent_id: string;
        environment: string;
        config_overrides: DeploymentOverrides;
        running: boolean;
      }[];
    },
  ): Promise<RegistryImportResult> {
    const toStart = document.deployments.filter((d) => d.running);
    if (toStart.length > 0 && !scopeAllows(scope, "deployments:write"))
      throw new AppError("FORBIDDEN", "Starting the imported deployments needs deployments:write", {
        required_permission: "deployments:write",
      });
    if (document.agents.length > 0 && !scopeAllows(scope, "agents:write"))
      throw new AppError("FORBIDDEN", "Importing agents needs agents:write", {
        required_permission: "agents:write",
      });
    // Every deployment must name an agent of the document or one that exists, before anything is written.
    const importing = new Set(document.agents.map((a) => a.id));
    for (const [index, deployment] of document.deployments.entries()) {
      if (importing.has(deployment.agent_id)) continue;
      if (!(await this.agentRows.findByTenantAndId(scope, deployment.agent_id)))
        throw fieldError(
          "VALIDATION_FAILED",
          `body.deployments.${index}.agent_id`,
          `names agent "${deployment.agent_id}", which is neither in the document nor in this tenant`,
        );
    }
    let created = 0;
    let updated = 0;
    for (const agent of document.agents) {
      try {
        await this.agents.create(scope, agent);
        created += 1;
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== "CONFLICT") throw error;
        const { id, ...fields } = agent;
        await this.agents.update(scope, id, fields);
        updated += 1;
      }
    }
    const started: string[] = [];
    for (const deployment of toStart) {
      const answer = await this.deploy(scope, deployment);
      started.push(answer.deployment_id);
    }
    return { agents_created: created, agents_updated: updated, deployments_started: started };
  }

  /**
   * Stops what this node runs but nobody wants any more: with several nodes on one database, a stop
   * (or an agent's deletion) handled by another node only changes the row, and this node's replicas
   * follow within SYNC_INTERVAL_MS.
   */
  async syncStops(): Promise<void> {
    const executor = this.requireExecutor();
    for (const { tenantId, deploymentId } of executor.active()) {
      const row = await this.deployments.findInTenant(tenantId, deploymentId);
      if (row && row.desired === "running") continue;
      this.log.info({ deploymentId }, "deployment stopped elsewhere; stopping its replicas here");
      await executor.stop(tenantId, deploymentId);
    }
  }

  /** Stops the background sync and the executor's replicas (they stay desired for the next start). */
  async close(): Promise<void> {
    clearInterval(this.sync);
    await this.executor?.shutdown();
  }

  /** After a restart: every deployment this node should run is started again; leftovers are killed first. */
  async reconcile(): Promise<number> {
    clearInterval(this.sync);
    this.sync = setInterval(
      () =>
        void this.syncStops().catch((error: unknown) =>
          this.log.warn({ err: (error as Error).message }, "checking deployments for stops failed"),
        ),
      SYNC_INTERVAL_MS,
    );
    this.sync.unref();
    const executor = this.requireExecutor();
    const rows = await this.deployments.desiredRunning(this.nodeId, executor.kind);
    for (const row of rows) {
      await executor.clearLeftovers(row.id, JSON.parse(row.process_groups) as number[]);
      const at = this.now().toISOString();
      await this.deployments.update(row.tenant_id, row.id, { status: "deploying", updated_at: at });
      this.announce(
        this.specOf(row, {}),
        "status",
        "deploying",
        null,
        "reconciling after a runtime restart",
        at,
      );
      await this.startInBackground({ ...row, status: "deploying" });
    }
    return rows.length;
  }

  private async startInBackground(row: DeploymentRow): Promise<void> {
    const overrides = JSON.parse(row.config_overrides) as DeploymentOverrides;
    let secretEnv: Record<string, string>;
    try {
      secretEnv = await this.resolveSecretEnv(row.tenant_id, row.agent_id, overrides);
    } catch (error) {
      this.reports().failed(this.specOf(row, {}), (error as Error).message, []);
      return;
    }
    const spec = this.specOf(row, secretEnv);
    try {
      await this.requireExecutor().start(spec);
    } catch (error) {
      this.reports().failed(spec, `could not start: ${(error as Error).message}`, []);
    }
  }

  private async resolveSecretEnv(
    tenantId: string,
    agentId: string,
    overrides: DeploymentOverrides,
  ): Promise<Record<string, string>> {
    const { references } = splitEnv(overrides.env ?? {});
    const resolved: Record<string, string> = {};
    for (const [name, reference] of Object.entries(references)) {
      try {
        resolved[name] = await this.secrets.resolve(reference, {
          tenantId,
          agentId,
          purpose: "deployment env",
        });
      } catch (error) {
        if (error instanceof SecretReferenceError)
          throw fieldError("VALIDATION_FAILED", `body.config_overrides.env.${name}`, error.message);
        throw error;
      }
    }
    return resolved;
  }

  private specOf(row: DeploymentRow, secretEnv: Record<string, string>): DeploymentSpec {
    const overrides = JSON.parse(row.config_overrides) as DeploymentOverrides;
    return {
      tenantId: row.tenant_id,
      deploymentId: row.id,
      agentId: row.agent_id,
      environment: row.environment,
      replicas: row.replicas,
      limits: JSON.parse(row.limits) as DeploymentSpec["limits"],
      env: splitEnv(overrides.env ?? {}).plain,
      secretEnv,
      image: overrides.image ?? null,
    };
  }

  private announce(
    spec: Pick<DeploymentSpec, "tenantId" | "agentId" | "deploymentId">,
    kind: DeploymentEvent["kind"],
    status: DeploymentStatus,
    replica: number | null,
    detail: string,
    at: string,
  ): void {
    this.events.emit({
      type: "deployment.event",
      tenantId: spec.tenantId,
      agentId: spec.agentId,
      deploymentId: spec.deploymentId,
      kind,
      status,
      replica,
      detail,
      at,
    });
  }

  private toResponse(row: DeploymentRow): AgentDeployResponse {
    const instances = this.executor?.instances(row.tenant_id, row.id) ?? [];
    return {
      deployment_id: row.id,
      agent_id: row.agent_id,
      status: row.status as DeploymentStatus,
      deployed_at: row.deployed_at,
      endpoint_url: row.endpoint_url,
      environment: row.environment,
      executor: row.executor as ExecutorKind,
      replicas: row.replicas,
      limits: JSON.parse(row.limits) as AgentDeployResponse["limits"],
      config_overrides: JSON.parse(row.config_overrides) as Record<string, unknown>,
      restarts: row.restarts,
      last_error: row.last_error,
      last_log_lines: JSON.parse(row.last_log) as string[],
      instances: row.status === "stopped" || row.status === "failed" ? [] : instances,
      updated_at: row.updated_at,
      stopped_at: row.stopped_at,
    };
  }

  private requireExecutor(): DeploymentExecutor {
    if (!this.executor) throw new Error("the deployment executor is not attached");
    return this.executor;
  }

  private async require(scope: Scope, id: string): Promise<DeploymentRow> {
    const row = await this.deployments.find(scope, id);
    if (!row) throw notFound(`Deployment "${id}"`);
    return row;
  }
}
