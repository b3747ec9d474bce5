import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import { paginate } from "../pagination.js";
import type { Transport } from "../transport.js";
import type {
  AgentCreatedResponse,
  AgentDefinition,
  AgentDefinitionListQuery,
  AgentDefinitionPage,
  AgentDeletedResponse,
  AgentMetrics,
  AgentStatusResponse,
} from "../types.js";
import { pathId } from "./path-id.js";

export class AgentsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Creates an agent under the id you chose; a taken id is a ConflictError. Never retried. */
  async create(agent: RouteBody<"createAgent">, options?: RequestOptions): Promise<AgentCreatedResponse> {
    return this.#transport.route("createAgent", { body: agent }, options);
  }

  /** Ids of every agent in your tenant. */
  async list(options?: RequestOptions): Promise<string[]> {
    return this.#transport.route("listAgents", {}, options);
  }

  async status(id: string, options?: RequestOptions): Promise<AgentStatusResponse> {
    return this.#transport.route("getAgentStatus", { params: { agent_id: agentId(id) } }, options);
  }

  async metrics(id: string, options?: RequestOptions): Promise<AgentMetrics> {
    return this.#transport.route("getAgentMetrics", { params: { agent_id: agentId(id) } }, options);
  }

  /** The agent's full definition, with its version. */
  async get(id: string, options?: RequestOptions): Promise<AgentDefinition> {
    return this.#transport.route("getAgentDefinition", { params: { agent_id: agentId(id) } }, options);
  }

  /** Changes the fields you pass; absent or null ones stay as they are. Never retried. */
  async update(
    id: string,
    patch: RouteBody<"updateAgent">,
    options?: RequestOptions,
  ): Promise<AgentDefinition> {
    return this.#transport.route("updateAgent", { params: { agent_id: agentId(id) }, body: patch }, options);
  }

  async delete(id: string, options?: RequestOptions): Promise<AgentDeletedResponse> {
    return this.#transport.route("deleteAgent", { params: { agent_id: agentId(id) } }, options);
  }

  /** One page of definitions, oldest first; pass its `next_cursor` back as `cursor` for the next. */
  async listDefinitions(
    query: AgentDefinitionListQuery = {},
    options?: RequestOptions,
  ): Promise<AgentDefinitionPage> {
    return this.#transport.route("listAgentDefinitions", { query }, options);
  }

  /** Every definition, page after page: `for await (const agent of client.agents.definitions())`. */
  definitions(
    query: Omit<AgentDefinitionListQuery, "cursor"> = {},
    options?: RequestOptions,
  ): AsyncIterable<AgentDefinition> {
    return paginate((cursor) => this.listDefinitions({ ...query, cursor }, options));
  }
}

/**
 * An empty id would address the collection and a dots-only one would be folded away by URL
 * normalisation (`/agents/..` is `/`), so either would silently reach a different route.
 */
const agentId = (id: string) => pathId("agent", id);
