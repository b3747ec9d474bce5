import type { CompiledAgent, CompiledDefinition, CompiledWebhook } from "@symbiont/dsl";
import { HttpEndpointCreateRequest, type WebhookScheme } from "@symbiont/protocol";
import type { EndpointService } from "../endpoints/endpoint-service.js";
import { type Scope, scopeAllows } from "../identity/scope.js";
import { parsePolicy } from "../policies/cedar-gate.js";
import type { PolicyService } from "../policies/policy-service.js";
import type { ScheduleRepository } from "../schedules/schedule-repository.js";
import { checkCron, type NewSchedule, type ScheduleService } from "../schedules/schedule-service.js";
import { AppError } from "../server/app-error.js";
import { type CedarStatement, translatePolicies } from "./policy-translation.js";

export interface RegistrationStores {
  schedules: ScheduleService;
  scheduleRepository: ScheduleRepository;
  policies: PolicyService;
  endpoints: EndpointService;
}

/** What a registration stores besides the agent, checked in full before anything is written. */
export interface PreparedRegistration {
  origin: string;
  schedules: NewSchedule[];
  policies: CedarStatement[];
  /** The agent's webhooks as dynamic endpoints under /hooks, verified by their provider's signature. */
  endpoints: HttpEndpointCreateRequest[];
  errors: string[];
  warnings: string[];
}

/** `dsl:<agent id>`: registering the same agent again replaces exactly what this one stored. */
export const originOf = (agentId: string) => `dsl:${agentId}`;

function scheduleInput(settings: Record<string, unknown>): string | null {
  const input = settings.input;
  return typeof input === "string" && input.length > 0 ? input : null;
}

/**
 * The file's schedules of the registered agent and its policies (the agent's own and the file's
 * top-level ones, both bound to this agent) in stored form. Schedules of other agents in the file
 * are not this registration's to store.
 */
export function prepareRegistration(
  definition: CompiledDefinition,
  agent: CompiledAgent,
  agentId: string,
  now: Date,
): PreparedRegistration {
  const file = `${agentId}.symbi`;
  const errors: string[] = [];
  const warnings: string[] = [];
  const schedules: NewSchedule[] = [];
  definition.schedules.forEach((schedule, index) => {
    const name = schedule.name ?? `${agentId}-schedule-${index + 1}`;
    if (schedule.agent !== agent.name) {
      warnings.push(
        `warning[W0008]: schedule ${name} runs agent ${schedule.agent}, which this registration does not register; not stored (register that agent's file for it)`,
      );
      return;
    }
    if (schedule.cron !== null) {
      try {
        checkCron(schedule.cron, schedule.timezone, "cron");
      } catch (error) {
        errors.push(
          `error[E2004]: schedule ${name}: ${(error as Error).message.replace(/^Invalid request: /, "")}`,
        );
        return;
      }
    }
    if (schedule.at !== null && new Date(schedule.at).getTime() <= now.getTime()) {
      warnings.push(`warning[W0008]: schedule ${name}: 'at' ${schedule.at} has passed; not stored`);
      return;
    }
    schedules.push({
      name,
      agentId,
      timing: {
        cron: schedule.cron,
        at: schedule.at,
        timezone: schedule.timezone,
        oneShot: schedule.one_shot,
      },
      input: scheduleInput(schedule.settings),
      missed: "run_latest",
    });
  });
  const endpoints: HttpEndpointCreateRequest[] = [];
  definition.webhooks.forEach((webhook, index) => {
    const name = webhook.name ?? `${agentId}-webhook-${index + 1}`;
    if (webhook.agent !== agent.name) {
      warnings.push(
        `warning[W0008]: webhook ${name} triggers agent ${webhook.agent}, which this registration does not register; not stored (register that agent's file for it)`,
      );
      return;
    }
    const endpoint = webhookEndpoint(webhook, name, agentId);
    if (typeof endpoint === "string") errors.push(endpoint);
    else endpoints.push(endpoint);
  });
  const translated = translatePolicies([...agent.policies, ...definition.policies], agentId, file);
  warnings.push(...translated.warnings);
  for (const statement of translated.statements) {
    try {
      parsePolicy(statement.policy);
    } catch (error) {
      errors.push(
        `error[E2008]: ${statement.name}: Cedar refused the compiled rule: ${(error as Error).message}`,
      );
    }
  }
  return {
    origin: originOf(agentId),
    schedules,
    policies: translated.statements,
    endpoints,
    errors,
    warnings,
  };
}

const SCHEMES: Record<CompiledWebhook["provider"], WebhookScheme> = {
  github: "github",
  stripe: "stripe",
  slack: "slack",
  // A custom sender signs the body with HMAC-SHA256 in X-Signature, the generic scheme's default.
  custom: "hmac",
};

/**
 * A webhook as the endpoint that serves it: signed deliveries when it has a secret, otherwise a
 * bearer credential is required (an open trigger is never made implicitly). An error line when the
 * source asks for what endpoints cannot do.
 */
function webhookEndpoint(
  webhook: CompiledWebhook,
  name: string,
  agentId: string,
): HttpEndpointCreateRequest | string {
  if (webhook.filter?.contains != null)
    return `error[E2009]: webhook ${name}: filters with 'contains' cannot be enforced by endpoints yet; use 'equals'`;
  const { method, description } = webhook.settings;
  const parsed = HttpEndpointCreateRequest.safeParse({
    path: webhook.path,
    method: typeof method === "string" ? method.toUpperCase() : "POST",
    agent_id: agentId,
    description: typeof description === "string" ? description : `webhook ${name} from ${agentId}.symbi`,
    auth_required: webhook.secret === null,
    metadata: { webhook: name },
    verification: webhook.secret && {
      scheme: SCHEMES[webhook.provider],
      secret: webhook.secret.reference,
    },
    filters: webhook.filter ? [{ path: webhook.filter.json_path, equals: webhook.filter.equals }] : [],
  });
  if (parsed.success) return parsed.data;
  return parsed.error.issues
    .map((issue) => `error[E2009]: webhook ${name}: '${issue.path.join(".")}' ${issue.message}`)
    .join("\n");
}

/**
 * The permissions storing them takes, checked before the agent is written: schedules run the agent
 * with the caller's authority, policies change what every run of it may do.
 */
export function requireRegistrationGrants(scope: Scope, prepared: PreparedRegistration): void {
  const needs = [
    ...(prepared.schedules.length > 0 ? (["schedules:write", "agents:execute"] as const) : []),
    ...(prepared.policies.length > 0 ? (["policies:write"] as const) : []),
    ...(prepared.endpoints.length > 0 ? (["endpoints:write"] as const) : []),
  ];
  for (const permission of needs) {
    if (!scopeAllows(scope, permission))
      throw new AppError(
        "FORBIDDEN",
        `The source defines ${permission.split(":")[0]}; storing them needs the ${permission} permission as well`,
        { required_permission: permission },
      );
  }
}

/**
 * Routes the webhooks would take that belong to someone else (an endpoint made through the API, or
 * another agent's registration), as error lines: checked before anything is written.
 */
export async function endpointConflicts(
  scope: Scope,
  prepared: PreparedRegistration,
  stores: RegistrationStores,
): Promise<string[]> {
  if (prepared.endpoints.length === 0) return [];
  const taken = await stores.endpoints.routesTakenOutside(scope, prepared.origin, prepared.endpoints);
  return taken.map(
    (route) =>
      `error[E2009]: webhook path ${route.path}: ${route.method} ${route.path} is served by endpoint ${route.endpointId}, which this registration did not make; change the path or delete that endpoint`,
  );
}

/** Replaces the previous registration's schedules, policies and webhooks with these; returns the new ids. */
export async function storeRegistration(
  scope: Scope,
  prepared: PreparedRegistration,
  agentId: string,
  stores: RegistrationStores,
): Promise<{ schedules: string[]; policies: string[]; endpoints: string[] }> {
  const rows = prepared.schedules.map((schedule) =>
    stores.schedules.newRow(scope, schedule, prepared.origin),
  );
  if (rows.length > 0 || scopeAllows(scope, "schedules:write"))
    await stores.scheduleRepository.replaceByOrigin(scope, prepared.origin, rows);
  let policies: string[] = [];
  if (prepared.policies.length > 0 || scopeAllows(scope, "policies:write"))
    policies = await stores.policies.replaceFromDsl(scope, prepared.origin, agentId, prepared.policies);
  let endpoints: string[] = [];
  if (prepared.endpoints.length > 0 || scopeAllows(scope, "endpoints:write"))
    endpoints = await stores.endpoints.replaceByOrigin(scope, prepared.origin, prepared.endpoints);
  return { schedules: rows.map((row) => row.id), policies, endpoints };
}
