import type { RouteBody } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { DslCompileResponse } from "../types.js";

/** The .symbi language on the server. Needs `dsl:write`, and `agents:write` to register. */
export class DslResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Compiles `dsl_content` and, unless `validate_only`, registers (creates or updates) the agent
   * `agent_name`. Errors in the source do not throw: they come back with `success: false` in
   * `errors` and, positioned, in `diagnostics`. Never retried.
   */
  async compile(request: RouteBody<"compileDsl">, options?: RequestOptions): Promise<DslCompileResponse> {
    return this.#transport.route("compileDsl", { body: request }, options);
  }
}
