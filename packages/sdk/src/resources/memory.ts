import type {
  ConsolidationResponse,
  ConversationContext,
  MemoryDeletedResponse,
  MemoryResponse,
  MemorySearchResponse,
  RouteBody,
  RouteQuery,
} from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

/** Agents' hierarchical memory. Needs `memory:read`, `memory:write` or `memory:delete`. */
export class MemoryResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Stores a memory; the server assigns its id and timestamp. Never retried. */
  async add(memory: RouteBody<"addMemory">, options?: RequestOptions): Promise<MemoryResponse> {
    return this.#transport.route("addMemory", { body: memory }, options);
  }

  /** One memory: by `memory_id`, else the newest matching the filters. Counts as a recall. */
  async get(query: RouteQuery<"getMemory">, options?: RequestOptions): Promise<MemoryResponse> {
    return this.#transport.route("getMemory", { query }, options);
  }

  /**
   * Filters an agent's memories (`query` as an object of equalities), or ranks them by relevance to
   * a text (`query` as a string: hybrid keyword and vector search weighted by importance and recency).
   */
  async search(request: RouteBody<"searchMemory">, options?: RequestOptions): Promise<MemorySearchResponse> {
    return this.#transport.route("searchMemory", { body: request }, options);
  }

  /** An agent's memories, newest first. */
  async list(agentId: string, limit = 100, options?: RequestOptions): Promise<MemorySearchResponse> {
    return this.#transport.route("listAgentMemories", { query: { agent_id: agentId, limit } }, options);
  }

  /** A conversation's recent turns plus the agent's most relevant memories, within `max_tokens`. */
  async conversation(
    query: RouteQuery<"getConversationContext">,
    options?: RequestOptions,
  ): Promise<ConversationContext> {
    return this.#transport.route("getConversationContext", { query }, options);
  }

  /** Prunes, merges near-duplicates (keeping them as history) and promotes; reports the counts. */
  async consolidate(agentId: string, options?: RequestOptions): Promise<ConsolidationResponse> {
    return this.#transport.route(
      "consolidateMemory",
      { params: { agent_id: pathId("agent", agentId) } },
      options,
    );
  }

  /** Forgets a memory everywhere: its row, the keyword index and the vector index. */
  async delete(memoryId: string, options?: RequestOptions): Promise<MemoryDeletedResponse> {
    return this.#transport.route(
      "deleteMemory",
      { params: { memory_id: pathId("memory", memoryId) } },
      options,
    );
  }
}
