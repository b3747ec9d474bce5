import type { RouteBody, RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type PolicyInfo = RouteResponse<"getPolicy">;
export type PolicyList = RouteResponse<"listPolicies">;
export type PolicyEvaluation = RouteResponse<"evaluatePolicies">;

/** Cedar policies that gate agents' tool calls: permit, forbid, or permit after `@approval("required")`. */
export class PoliciesResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async create(policy: RouteBody<"createPolicy">, options?: RequestOptions): Promise<PolicyInfo> {
    return this.#transport.route("createPolicy", { body: policy }, options);
  }

  async list(agentId?: string, options?: RequestOptions): Promise<PolicyList> {
    return this.#transport.route(
      "listPolicies",
      { query: agentId === undefined ? {} : { agent_id: agentId } },
      options,
    );
  }

  async get(id: string, options?: RequestOptions): Promise<PolicyInfo> {
    return this.#transport.route("getPolicy", { params: { policy_id: pathId("policy", id) } }, options);
  }

  async update(
    id: string,
    changes: RouteBody<"updatePolicy">,
    options?: RequestOptions,
  ): Promise<PolicyInfo> {
    return this.#transport.route(
      "updatePolicy",
      { params: { policy_id: pathId("policy", id) }, body: changes },
      options,
    );
  }

  async delete(id: string, options?: RequestOptions): Promise<RouteResponse<"deletePolicy">> {
    return this.#transport.route("deletePolicy", { params: { policy_id: pathId("policy", id) } }, options);
  }

  /** Dry run: what the gate would decide now for this agent calling this tool. */
  async evaluate(
    request: RouteBody<"evaluatePolicies">,
    options?: RequestOptions,
  ): Promise<PolicyEvaluation> {
    return this.#transport.route("evaluatePolicies", { body: request }, options);
  }
}
