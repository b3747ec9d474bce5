import type {
  ContextResponse,
  KnowledgeAddedResponse,
  KnowledgeDeletedResponse,
  RouteBody,
  VectorSearchResponse,
} from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

/** The knowledge base and RAG context. Needs `knowledge:read`, `knowledge:write` or `knowledge:delete`. */
export class KnowledgeResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Adds or replaces (by id) an item; long content is chunked. */
  async add(item: RouteBody<"addKnowledgeItem">, options?: RequestOptions): Promise<KnowledgeAddedResponse> {
    return this.#transport.route("addKnowledgeItem", { body: item }, options);
  }

  /** Hybrid search; results below `similarity_threshold` (default 0.7) are left out. */
  async search(
    request: RouteBody<"searchKnowledge">,
    options?: RequestOptions,
  ): Promise<VectorSearchResponse> {
    return this.#transport.route("searchKnowledge", { body: request }, options);
  }

  /** The best chunks for a query with their sources, within `max_context_items` and `max_tokens`. */
  async context(query: RouteBody<"getRagContext">, options?: RequestOptions): Promise<ContextResponse> {
    return this.#transport.route("getRagContext", { body: query }, options);
  }

  async delete(itemId: string, options?: RequestOptions): Promise<KnowledgeDeletedResponse> {
    return this.#transport.route(
      "deleteKnowledgeItem",
      { params: { item_id: pathId("knowledge item", itemId) } },
      options,
    );
  }
}
