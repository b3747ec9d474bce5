import type {
  AgentCreatedResponse,
  AgentCreateRequest,
  AgentDefinition,
  AgentDefinitionPage,
  AgentMetrics,
  AgentState,
  AgentStatusResponse,
  AgentUpdateRequest,
} from "@symbiont/protocol";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { AppError, conflict, notFound } from "../server/app-error.js";
import { decodeCursor, encodeCursor } from "../server/page-cursor.js";
import type { AgentChanges, AgentRepository, AgentRow } from "./agent-repository.js";

const DEFAULT_PAGE_SIZE = 50;

function toDefinition(row: AgentRow): AgentDefinition {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    system_prompt: row.system_prompt,
    tools: JSON.parse(row.tools) as string[],
    model: row.model,
    temperature: row.temperature,
    top_p: row.top_p,
    max_tokens: row.max_tokens,
    state: row.state as AgentState,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * Agent definitions and their status. Nothing executes agents yet, so an agent is `idle` with no
 * running tasks until the runs domain changes its state and counters.
 */
export class AgentService {
  private readonly deletionListeners: ((scope: Scope, agentId: string) => Promise<void>)[] = [];

  constructor(
    private readonly agents: AgentRepository,
    /** How many of an agent's runs have not ended yet: its active tasks. */
    private readonly activeTasks: (tenantId: string, agentId: string) => Promise<number>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, input: AgentCreateRequest): Promise<AgentCreatedResponse> {
    if (!scopeReachesAgent(scope, input.id)) {
      throw new AppError(
        "FORBIDDEN",
        `This credential is limited to other agents and cannot create "${input.id}"`,
        {
          agent_id: input.id,
        },
      );
    }
    const at = this.now().toISOString();
    const created = await this.agents.insertIfAbsent(scope, {
      id: input.id,
      name: input.name,
      description: input.description,
      system_prompt: input.system_prompt,
      tools: JSON.stringify(input.tools),
      model: input.model,
      temperature: input.temperature,
      top_p: input.top_p,
      max_tokens: input.max_tokens,
      state: "idle",
      created_at: at,
      updated_at: at,
      last_activity_at: at,
    });
    if (!created) throw conflict(`Agent "${input.id}" already exists; choose another id or update it`);
    return { id: input.id, agent_id: input.id, status: "created", state: "idle", created_at: at };
  }

  /** Frozen and shared with other readers until the agents change. */
  listIds(scope: Scope): readonly string[] | Promise<readonly string[]> {
    return this.agents.listIds(scope);
  }

  async listDefinitions(
    scope: Scope,
    limit = DEFAULT_PAGE_SIZE,
    cursor?: string,
  ): Promise<AgentDefinitionPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    // One row more than asked tells whether another page follows without a count query.
    const rows = await this.agents.listPage(scope, limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toDefinition),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async get(scope: Scope, id: string): Promise<AgentDefinition> {
    return toDefinition(await this.require(scope, id));
  }

  async status(scope: Scope, id: string): Promise<AgentStatusResponse> {
    const row = await this.require(scope, id);
    return {
      agent_id: row.id,
      state: row.state as AgentState,
      last_activity: row.last_activity_at,
      resource_usage: {
        memory_bytes: 0,
        cpu_percent: 0,
        active_tasks: await this.activeTasks(row.tenant_id, row.id),
      },
    };
  }

  async metrics(scope: Scope, id: string): Promise<AgentMetrics> {
    const row = await this.require(scope, id);
    const finished = row.tasks_completed + row.tasks_failed;
    return {
      agent_id: row.id,
      tasks_completed: row.tasks_completed,
      tasks_failed: row.tasks_failed,
      average_response_time_ms: finished === 0 ? 0 : row.total_response_ms / finished,
      memory_usage_bytes: 0,
      cpu_usage_percent: 0,
      last_activity: row.last_activity_at,
      uptime_seconds: Math.max(0, Math.floor((this.now().getTime() - Date.parse(row.created_at)) / 1000)),
    };
  }

  async update(scope: Scope, id: string, patch: AgentUpdateRequest): Promise<AgentDefinition> {
    const changes: AgentChanges = { updated_at: this.now().toISOString() };
    if (patch.name != null) changes.name = patch.name;
    if (patch.description != null) changes.description = patch.description;
    if (patch.system_prompt != null) changes.system_prompt = patch.system_prompt;
    if (patch.tools != null) changes.tools = JSON.stringify(patch.tools);
    if (patch.model != null) changes.model = patch.model;
    if (patch.temperature != null) changes.temperature = patch.temperature;
    if (patch.top_p != null) changes.top_p = patch.top_p;
    if (patch.max_tokens != null) changes.max_tokens = patch.max_tokens;
    const row = await this.agents.update(scope, id, changes);
    if (!row) throw notFound(`Agent "${id}"`);
    return toDefinition(row);
  }

  async delete(scope: Scope, id: string): Promise<{ deleted: true; agent_id: string }> {
    if (!(await this.agents.delete(scope, id))) throw notFound(`Agent "${id}"`);
    for (const listener of this.deletionListeners) await listener(scope, id);
    return { deleted: true, agent_id: id };
  }

  /** Lets another domain clean up after an agent is deleted (its deployments stop). */
  onDeleted(listener: (scope: Scope, agentId: string) => Promise<void>): void {
    this.deletionListeners.push(listener);
  }

  private async require(scope: Scope, id: string): Promise<AgentRow> {
    const row = await this.agents.findByTenantAndId(scope, id);
    if (!row) throw notFound(`Agent "${id}"`);
    return row;
  }
}
