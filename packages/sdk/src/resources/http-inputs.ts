import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type HttpInputServerInfo = RouteResponse<"getHttpInputServer">;
export type HttpInputConfigSpec = RouteBody<"createHttpInputServer">["config"];
export type WebhookTriggerResponse = RouteResponse<"triggerWebhook">;
export type HttpInputMetrics = RouteResponse<"getHttpInputMetrics">;

/** HTTP input servers: webhook listeners on ports of their own that route deliveries to agents. */
export class HttpInputsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Creates and starts the server; `status` is `error` with `last_error` when the port cannot be bound. */
  async create(config: HttpInputConfigSpec, options?: RequestOptions): Promise<HttpInputServerInfo> {
    return this.#transport.route("createHttpInputServer", { body: { config } }, options);
  }

  async list(options?: RequestOptions): Promise<HttpInputServerInfo[]> {
    return this.#transport.route("listHttpInputServers", {}, options);
  }

  async get(id: string, options?: RequestOptions): Promise<HttpInputServerInfo> {
    return this.#transport.route(
      "getHttpInputServer",
      { params: { server_id: pathId("server", id) } },
      options,
    );
  }

  /** Replaces the whole config; a running server restarts with it. */
  async update(
    id: string,
    config: HttpInputConfigSpec,
    options?: RequestOptions,
  ): Promise<HttpInputServerInfo> {
    return this.#transport.route(
      "updateHttpInputServer",
      { params: { server_id: pathId("server", id) }, body: { server_id: id, config } },
      options,
    );
  }

  async start(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "startHttpInputServer",
      { params: { server_id: pathId("server", id) } },
      options,
    );
  }

  async stop(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "stopHttpInputServer",
      { params: { server_id: pathId("server", id) } },
      options,
    );
  }

  async delete(id: string, options?: RequestOptions) {
    return this.#transport.route(
      "deleteHttpInputServer",
      { params: { server_id: pathId("server", id) } },
      options,
    );
  }

  /** Routes a payload as if it had arrived at the server, and runs the agent the rules pick. */
  async trigger(
    id: string,
    payload: Record<string, unknown>,
    headers: Record<string, string> = {},
    options?: RequestOptions,
  ): Promise<WebhookTriggerResponse> {
    return this.#transport.route(
      "triggerWebhook",
      { params: { server_id: pathId("server", id) }, body: { server_id: id, payload, headers } },
      options,
    );
  }

  async metrics(id: string, options?: RequestOptions): Promise<HttpInputMetrics> {
    return this.#transport.route(
      "getHttpInputMetrics",
      { params: { server_id: pathId("server", id) } },
      options,
    );
  }
}
