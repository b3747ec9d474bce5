import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { ConfigReloadResponse, SystemMetrics } from "../types.js";

export class SystemResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Process and host metrics, measured when asked. Needs `system:read`. */
  async metrics(options?: RequestOptions): Promise<SystemMetrics> {
    return this.#transport.route("systemMetrics", {}, options);
  }

  /** Re-reads the server's configuration, as SIGHUP does. Needs `system:admin`; never retried. */
  async reloadConfig(options?: RequestOptions): Promise<ConfigReloadResponse> {
    return this.#transport.route("reloadConfig", {}, options);
  }
}
