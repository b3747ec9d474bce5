import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type HttpEndpointInfo = RouteResponse<"getHttpEndpoint">;
export type HttpEndpointResponse = RouteResponse<"createHttpEndpoint">;
export type EndpointMetrics = RouteResponse<"getEndpointMetrics">;
export type HttpEndpointSpec = RouteBody<"createHttpEndpoint">;
/** Fields left out (or null) stay as they are. */
export type HttpEndpointChanges = Omit<RouteBody<"updateHttpEndpoint">, "endpoint_id">;

/**
 * Dynamic endpoints: routes under /hooks on the runtime's own port that run an agent on each
 * request, optionally verifying signed webhooks (GitHub, Stripe, Slack, HMAC, JWT).
 */
export class EndpointsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async create(spec: HttpEndpointSpec, options?: RequestOptions): Promise<HttpEndpointResponse> {
    return this.#transport.route("createHttpEndpoint", { body: spec }, options);
  }

  async list(options?: RequestOptions): Promise<HttpEndpointInfo[]> {
    return this.#transport.route("listHttpEndpoints", {}, options);
  }

  async get(id: string, options?: RequestOptions): Promise<HttpEndpointInfo> {
    return this.#transport.route(
      "getHttpEndpoint",
      { params: { endpoint_id: pathId("endpoint", id) } },
      options,
    );
  }

  async update(
    id: string,
    changes: HttpEndpointChanges,
    options?: RequestOptions,
  ): Promise<HttpEndpointResponse> {
    return this.#transport.route(
      "updateHttpEndpoint",
      { params: { endpoint_id: pathId("endpoint", id) }, body: { endpoint_id: id, ...changes } },
      options,
    );
  }

  async delete(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "deleteHttpEndpoint",
      { params: { endpoint_id: pathId("endpoint", id) } },
      options,
    );
  }

  async enable(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "enableHttpEndpoint",
      { params: { endpoint_id: pathId("endpoint", id) } },
      options,
    );
  }

  async disable(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "disableHttpEndpoint",
      { params: { endpoint_id: pathId("endpoint", id) } },
      options,
    );
  }

  async metrics(id: string, options?: RequestOptions): Promise<EndpointMetrics> {
    return this.#transport.route(
      "getEndpointMetrics",
      { params: { endpoint_id: pathId("endpoint", id) } },
      options,
    );
  }
}
