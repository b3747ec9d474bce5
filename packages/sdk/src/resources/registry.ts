import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";

export type RegistryStats = RouteResponse<"registryStats">;
export type RegistryDocument = RouteResponse<"exportRegistry">;
export type RegistryImportResult = RouteResponse<"importRegistry">;

/** The tenant's agents and deployments as a whole: counts, and a JSON document to back up or move. */
export class RegistryResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async stats(options?: RequestOptions): Promise<RegistryStats> {
    return this.#transport.route("registryStats", {}, options);
  }

  async export(options?: RequestOptions): Promise<RegistryDocument> {
    return this.#transport.route("exportRegistry", {}, options);
  }

  /** Creates or updates the document's agents and starts the deployments that were running. */
  async import(
    document: RouteBody<"importRegistry">,
    options?: RequestOptions,
  ): Promise<RegistryImportResult> {
    return this.#transport.route("importRegistry", { body: document }, options);
  }
}
