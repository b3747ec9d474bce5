import { randomUUID } from "node:crypto";
import type {
  PolicyCreateRequest,
  PolicyEvaluateRequest,
  PolicyEvaluation,
  PolicyInfo,
  PolicyList,
  PolicyUpdateRequest,
} from "@symbiont/protocol";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { AppError, fieldError, notFound } from "../server/app-error.js";
import { evaluateGate, type GateRequest, PolicyTextError, parsePolicy } from "./cedar-gate.js";
import type { PolicyChanges, PolicyRepository, PolicyRow } from "./policy-repository.js";

function toInfo(row: PolicyRow): PolicyInfo {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    agent_id: row.agent_id,
    policy: row.policy,
    effect: row.effect as "permit" | "forbid",
    requires_approval: row.requires_approval === 1,
    enabled: row.enabled === 1,
    origin: row.origin,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function parsed(text: string) {
  try {
    return parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyTextError) throw fieldError("VALIDATION_FAILED", "body.policy", error.message);
    throw error;
  }
}

/**
 * The tenants' Cedar policies. A credential limited to some agents sees and edits only their
 * policies (and reads the tenant-wide ones); tenant-wide policies are written by unlimited ones.
 */
export class PolicyService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, input: PolicyCreateRequest): Promise<PolicyInfo> {
    const agentId = input.agent_id ?? null;
    this.requireWritable(scope, agentId, "body.agent_id");
    const { effect, requiresApproval } = parsed(input.policy);
    const at = this.now().toISOString();
    const row: PolicyRow = {
      tenant_id: scope.tenantId,
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      agent_id: agentId,
      policy: input.policy,
      effect,
      requires_approval: requiresApproval ? 1 : 0,
      enabled: input.enabled === false ? 0 : 1,
      created_at: at,
      updated_at: at,
      origin: null,
    };
    const { tenant_id: _, ...values } = row;
    await this.policies.insert(scope, values);
    return toInfo(row);
  }

  /**
   * Stores the Cedar statements compiled from a registered .symbi file for its agent, replacing the
   * ones that file's previous registration stored. Each statement is checked like any other.
   */
  async replaceFromDsl(
    scope: Scope,
    origin: string,
    agentId: string,
    statements: readonly { name: string; description: string; policy: string }[],
  ): Promise<string[]> {
    this.requireWritable(scope, agentId, "body.agent_name");
    const at = this.now().toISOString();
    const rows = statements.map((statement) => {
      const { effect, requiresApproval } = parsed(statement.policy);
      return {
        id: randomUUID(),
        name: statement.name,
        description: statement.description,
        agent_id: agentId,
        policy: statement.policy,
        effect,
        requires_approval: requiresApproval ? 1 : 0,
        enabled: 1,
        created_at: at,
        updated_at: at,
      };
    });
    await this.policies.replaceByOrigin(scope, origin, rows);
    return rows.map((row) => row.id);
  }

  async list(scope: Scope, agentId?: string): Promise<PolicyList> {
    if (agentId !== undefined && !scopeReachesAgent(scope, agentId)) return { items: [] };
    const rows = await this.policies.list(scope, agentId);
    return { items: rows.filter((row) => this.readable(scope, row)).map(toInfo) };
  }

  async get(scope: Scope, id: string): Promise<PolicyInfo> {
    return toInfo(await this.require(scope, id));
  }

  async update(scope: Scope, id: string, patch: PolicyUpdateRequest): Promise<PolicyInfo> {
    const current = await this.require(scope, id);
    this.requireWritable(scope, current.agent_id, "params.policy_id");
    const changes: PolicyChanges = { updated_at: this.now().toISOString() };
    if (patch.name != null) changes.name = patch.name;
    if (patch.description != null) changes.description = patch.description;
    if (patch.enabled != null) changes.enabled = patch.enabled ? 1 : 0;
    if (patch.policy != null) {
      const { effect, requiresApproval } = parsed(patch.policy);
      changes.policy = patch.policy;
      changes.effect = effect;
      changes.requires_approval = requiresApproval ? 1 : 0;
    }
    const row = await this.policies.update(scope, id, changes);
    if (!row) throw notFound(`Policy "${id}"`);
    return toInfo(row);
  }

  async delete(scope: Scope, id: string): Promise<{ deleted: true; id: string }> {
    const current = await this.require(scope, id);
    this.requireWritable(scope, current.agent_id, "params.policy_id");
    if (!(await this.policies.delete(scope, id))) throw notFound(`Policy "${id}"`);
    return { deleted: true, id };
  }

  async evaluate(scope: Scope, input: PolicyEvaluateRequest): Promise<PolicyEvaluation> {
    if (!scopeReachesAgent(scope, input.agent_id)) throw notFound(`Agent "${input.agent_id}"`);
    return this.decide(scope.tenantId, {
      agentId: input.agent_id,
      tool: input.tool,
      source: input.source ?? "builtin",
      arguments: input.arguments ?? {},
    });
  }

  /** The gate in front of a run's tool call. Any fault denies: the caller never sees a throw. */
  async decide(tenantId: string, request: GateRequest): Promise<PolicyEvaluation> {
    try {
      const rows = await this.policies.enabledFor(tenantId, request.agentId);
      return evaluateGate(
        rows.map((row) => ({
          id: row.id,
          policy: row.policy,
          requiresApproval: row.requires_approval === 1,
        })),
        request,
      );
    } catch (error) {
      return {
        decision: "deny",
        reasons: [],
        errors: [`policies could not be read: ${(error as Error).message}`],
      };
    }
  }

  private readable(scope: Scope, row: PolicyRow): boolean {
    return row.agent_id === null || scopeReachesAgent(scope, row.agent_id);
  }

  private requireWritable(scope: Scope, agentId: string | null, field: string): void {
    if (agentId === null && scope.agentIds !== null)
      throw fieldError(
        "FORBIDDEN",
        field,
        "a credential limited to some agents cannot write tenant-wide policies",
      );
    if (agentId !== null && !scopeReachesAgent(scope, agentId))
      throw new AppError("FORBIDDEN", `This credential is limited to other agents than "${agentId}"`, {
        agent_id: agentId,
      });
  }

  private async require(scope: Scope, id: string): Promise<PolicyRow> {
    const row = await this.policies.findByTenantAndId(scope, id);
    if (!row || !this.readable(scope, row)) throw notFound(`Policy "${id}"`);
    return row;
  }
}
