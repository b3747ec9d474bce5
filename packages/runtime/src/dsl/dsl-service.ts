import { compile, formatDiagnosticLine, locate } from "@symbiont/dsl";
import { AgentCreateRequest, type DslCompileRequest, type DslCompileResponse } from "@symbiont/protocol";
import type { AgentService } from "../agents/agent-service.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import { AppError } from "../server/app-error.js";
import { agentFields, DSL_AGENT_DEFAULTS, selectAgent } from "./agent-fields.js";
import {
  endpointConflicts,
  prepareRegistration,
  type RegistrationStores,
  requireRegistrationGrants,
  storeRegistration,
} from "./dsl-registration.js";

/**
 * Compiles .symbi source and registers its agent, with the agent's schedules and its policies (as
 * Cedar statements for the gate). Mistakes in the source are the answer (200 with success false and
 * the errors), as the contract asks; mistakes in the request are 4xx. Registering again replaces
 * the schedules, policies and webhooks (dynamic endpoints under /hooks) the previous registration of
 * that agent stored. Memory settings and limits are compiled and returned in `definition` only.
 */
export class DslService {
  constructor(
    private readonly agents: AgentService,
    private readonly stores: RegistrationStores,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async compile(scope: Scope, request: DslCompileRequest): Promise<DslCompileResponse> {
    // Checked before compiling, so the answer does not depend on whether the source happens to be valid.
    if (!request.validate_only && !scopeAllows(scope, "agents:write")) {
      throw new AppError(
        "FORBIDDEN",
        "Registering the compiled agent needs the agents:write permission as well; send validate_only: true to only check the source",
        { required_permission: "agents:write" },
      );
    }
    const result = compile(request.dsl_content, `${request.agent_name}.symbi`);
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const diagnostic of result.diagnostics) {
      (diagnostic.severity === "error" ? errors : warnings).push(
        formatDiagnosticLine(result.source, diagnostic),
      );
    }
    let stored: { schedules: string[]; policies: string[]; endpoints: string[] } | null = null;
    const answer = (
      success: boolean,
      agentId: string | null,
      registration: "created" | "updated" | null,
    ) => ({
      success,
      agent_id: agentId,
      errors,
      warnings,
      compiled_at: this.now().toISOString(),
      diagnostics: result.diagnostics.map((d) => locate(result.source, d)),
      definition: result.definition,
      registration,
      stored,
    });
    const definition = result.definition;
    if (!definition || request.validate_only) return answer(definition !== null, null, null);

    const agent = selectAgent(definition, request.agent_name);
    if (typeof agent === "string") {
      errors.push(`error[E2007]: ${agent}`);
      return answer(false, null, null);
    }
    const { fields, defaulted } = agentFields(agent, definition, request.agent_name);
    // Values from the source must also fit the agent record (a name without line breaks, …).
    const checked = AgentCreateRequest.safeParse({ id: request.agent_name, ...fields });
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        errors.push(`error[E2002]: agent ${agent.name}: '${issue.path.join(".")}' ${issue.message}`);
      }
      return answer(false, null, null);
    }
    const prepared = prepareRegistration(definition, agent, request.agent_name, this.now());
    warnings.push(...prepared.warnings);
    if (prepared.errors.length > 0) {
      errors.push(...prepared.errors);
      return answer(false, null, null);
    }
    requireRegistrationGrants(scope, prepared);
    const conflicts = await endpointConflicts(scope, prepared, this.stores);
    if (conflicts.length > 0) {
      errors.push(...conflicts);
      return answer(false, null, null);
    }
    for (const key of defaulted) {
      warnings.push(
        `warning[W0006]: agent ${agent.name} sets no '${key}'; registered with ${JSON.stringify(DSL_AGENT_DEFAULTS[key as keyof typeof DSL_AGENT_DEFAULTS])}`,
      );
    }
    let registration: "created" | "updated" = "created";
    try {
      await this.agents.create(scope, checked.data);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "CONFLICT") throw error;
      const { id: _id, ...changes } = checked.data;
      await this.agents.update(scope, request.agent_name, changes);
      registration = "updated";
    }
    stored = await storeRegistration(scope, prepared, request.agent_name, this.stores);
    return answer(true, request.agent_name, registration);
  }
}
