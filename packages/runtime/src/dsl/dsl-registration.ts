import type { CompiledAgent, CompiledDefinition } from "@symbiont/dsl";
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
}

/** What a registration stores besides the agent, checked in full before anything is written. */
export interface PreparedRegistration {
  origin: string;
  schedules: NewSchedule[];
  policies: CedarStatement[];
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
  return { origin: originOf(agentId), schedules, policies: translated.statements, errors, warnings };
}

/**
 * The permissions storing them takes, checked before the agent is written: schedules run the agent
 * with the caller's authority, policies change what every run of it may do.
 */
export function requireRegistrationGrants(scope: Scope, prepared: PreparedRegistration): void {
  const needs = [
    ...(prepared.schedules.length > 0 ? (["schedules:write", "agents:execute"] as const) : []),
    ...(prepared.policies.length > 0 ? (["policies:write"] as const) : []),
  ];
  for (const permission of needs) {
    if (!scopeAllows(scope, permission))
      throw new AppError(
        "FORBIDDEN",
        `The source defines ${permission.startsWith("policies") ? "policies" : "schedules"}; storing them needs the ${permission} permission as well`,
        { required_permission: permission },
      );
  }
}

/** Replaces the previous registration's schedules and policies with these; returns the new ids. */
export async function storeRegistration(
  scope: Scope,
  prepared: PreparedRegistration,
  agentId: string,
  stores: RegistrationStores,
): Promise<{ schedules: string[]; policies: string[] }> {
  const rows = prepared.schedules.map((schedule) =>
    stores.schedules.newRow(scope, schedule, prepared.origin),
  );
  if (rows.length > 0 || scopeAllows(scope, "schedules:write"))
    await stores.scheduleRepository.replaceByOrigin(scope, prepared.origin, rows);
  let policies: string[] = [];
  if (prepared.policies.length > 0 || scopeAllows(scope, "policies:write"))
    policies = await stores.policies.replaceFromDsl(scope, prepared.origin, agentId, prepared.policies);
  return { schedules: rows.map((row) => row.id), policies };
}
