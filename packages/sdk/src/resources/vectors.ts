import type {
  CollectionInfo,
  CollectionResponse,
  CollectionSearchResponse,
  PointId,
  RetrievedPoint,
  RouteBody,
  UpsertResponse,
  VectorSearchResponse,
} from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

/** Vector collections and their points. Needs `vectors:read`, `vectors:write` or `vectors:delete`. */
export class VectorsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async createCollection(
    request: RouteBody<"createVectorCollection">,
    options?: RequestOptions,
  ): Promise<CollectionResponse> {
    return this.#transport.route("createVectorCollection", { body: request }, options);
  }

  async listCollections(options?: RequestOptions): Promise<string[]> {
    return this.#transport.route("listVectorCollections", {}, options);
  }

  async collection(name: string, options?: RequestOptions): Promise<CollectionInfo> {
    return this.#transport.route(
      "getCollectionInfo",
      { params: { collection_name: collectionName(name) } },
      options,
    );
  }

  async deleteCollection(
    name: string,
    options?: RequestOptions,
  ): Promise<{ deleted: true; collection_name: string }> {
    return this.#transport.route(
      "deleteVectorCollection",
      { params: { collection_name: collectionName(name) } },
      options,
    );
  }

  async count(name: string, options?: RequestOptions): Promise<number> {
    return (
      await this.#transport.route(
        "countVectors",
        { params: { collection_name: collectionName(name) } },
        options,
      )
    ).count;
  }

  /** Inserts or replaces points, all or nothing; a wrong vector size names the offending point. */
  async upsert(request: RouteBody<"upsertVectors">, options?: RequestOptions): Promise<UpsertResponse> {
    return this.#transport.route("upsertVectors", { body: request }, options);
  }

  /** Points by id; unknown ids are left out. */
  async retrieve(name: string, ids: readonly PointId[], options?: RequestOptions): Promise<RetrievedPoint[]> {
    if (ids.length === 0) return [];
    return this.#transport.route(
      "retrieveVectors",
      { query: { collection_name: name, ids: ids.map(String) } },
      options,
    );
  }

  /** Nearest neighbours of a vector in one collection, optionally filtered by payload equality. */
  async search(
    name: string,
    request: RouteBody<"searchCollection">,
    options?: RequestOptions,
  ): Promise<CollectionSearchResponse> {
    return this.#transport.route(
      "searchCollection",
      { params: { collection_name: collectionName(name) }, body: request },
      options,
    );
  }

  /** The contract's text search over every collection's points that carry text. */
  async searchText(
    request: RouteBody<"searchVectors">,
    options?: RequestOptions,
  ): Promise<VectorSearchResponse> {
    return this.#transport.route("searchVectors", { body: request }, options);
  }

  async delete(
    name: string,
    ids: readonly PointId[],
    options?: RequestOptions,
  ): Promise<{ deleted: number; collection_name: string }> {
    return this.#transport.route(
      "deleteVectors",
      { body: { collection_name: name, ids: [...ids] } },
      options,
    );
  }
}

const collectionName = (name: string) => pathId("collection", name);
