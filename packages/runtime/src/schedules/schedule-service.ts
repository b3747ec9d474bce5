import { randomUUID } from "node:crypto";
import type {
  MissedSlotPolicy,
  Schedule,
  ScheduleCreateRequest,
  ScheduleHistory,
  ScheduleList,
  ScheduleNextTimes,
  ScheduleStatus,
  ScheduleUpdateRequest,
} from "@symbiont/protocol";
import type { AgentRepository } from "../agents/agent-repository.js";
import { type Scope, scopeAllows, scopeReachesAgent } from "../identity/scope.js";
import { storeScope } from "../runs/run-state.js";
import { AppError, conflict, fieldError, notFound } from "../server/app-error.js";
import type { ScheduleChanges, ScheduleRepository, ScheduleRow } from "./schedule-repository.js";
import { cronOf, nextSlotAfter, nextSlots, type Timing, TimingError } from "./schedule-timing.js";

const DEFAULT_HISTORY = 50;
const DEFAULT_NEXT = 5;

export function timingOf(row: ScheduleRow): Timing {
  return { cron: row.cron, at: row.at, timezone: row.timezone, oneShot: row.one_shot === 1 };
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    name: row.name,
    agent_id: row.agent_id,
    cron: row.cron,
    at: row.at,
    timezone: row.timezone,
    input: row.input,
    one_shot: row.one_shot === 1,
    missed: row.missed as MissedSlotPolicy,
    status: row.status as ScheduleStatus,
    origin: row.origin,
    next_fire_at: row.next_fire_at,
    last_fired_at: row.last_fired_at,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Checks a cron the way the scheduler will read it; the error names the field. */
export function checkCron(cron: string, timezone: string, field: string): void {
  let parsed: ReturnType<typeof cronOf>;
  try {
    parsed = cronOf(cron, timezone);
  } catch (error) {
    if (error instanceof TimingError)
      throw fieldError("VALIDATION_FAILED", field, `is not a cron the scheduler reads: ${error.message}`);
    throw error;
  }
  // "0 0 30 2 *" (February 30th) parses but would never fire: a schedule that never runs is a mistake.
  if (parsed.nextRun() === null)
    throw fieldError("VALIDATION_FAILED", field, "never matches a time; check the day and month");
}

/** What a new schedule row needs besides where it came from. */
export interface NewSchedule {
  name: string;
  agentId: string;
  timing: Timing;
  input: string | null;
  missed: MissedSlotPolicy;
}

/**
 * Schedules of the tenant. Creating one needs agents:execute on its agent as well: the runs it
 * fires act with the creator's scope, stored with the schedule, so it can never do more than its
 * creator could have done by hand.
 */
export class ScheduleService {
  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly agents: AgentRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, input: ScheduleCreateRequest): Promise<Schedule> {
    const timing: Timing = {
      cron: input.cron ?? null,
      at: input.at ? new Date(input.at).toISOString() : null,
      timezone: input.timezone ?? "UTC",
      oneShot: input.at != null || input.one_shot === true,
    };
    await this.requireRunnable(scope, input.agent_id, "body.agent_id");
    if (timing.cron !== null) checkCron(timing.cron, timing.timezone, "body.cron");
    if (timing.at !== null && new Date(timing.at).getTime() <= this.now().getTime())
      throw fieldError(
        "VALIDATION_FAILED",
        "body.at",
        "is in the past; a one-time schedule needs a future time",
      );
    const row = this.newRow(
      scope,
      {
        name: input.name,
        agentId: input.agent_id,
        timing,
        input: input.input ?? null,
        missed: input.missed ?? "run_latest",
      },
      null,
    );
    await this.schedules.insert(row);
    return toSchedule(row);
  }

  /** A row ready to insert; `next_fire_at` is the first slot from now. */
  newRow(scope: Scope, schedule: NewSchedule, origin: string | null): ScheduleRow {
    const now = this.now();
    const at = now.toISOString();
    const next = nextSlotAfter(schedule.timing, now);
    return {
      tenant_id: scope.tenantId,
      id: randomUUID(),
      name: schedule.name,
      agent_id: schedule.agentId,
      cron: schedule.timing.cron,
      at: schedule.timing.at,
      timezone: schedule.timing.timezone,
      input: schedule.input,
      one_shot: schedule.timing.oneShot ? 1 : 0,
      missed: schedule.missed,
      status: next ? "active" : "completed",
      origin,
      next_fire_at: next?.toISOString() ?? null,
      last_fired_at: null,
      created_by: scope.principalId,
      scope: JSON.stringify(storeScope(scope)),
      created_at: at,
      updated_at: at,
    };
  }

  async list(scope: Scope, agentId?: string): Promise<ScheduleList> {
    if (agentId !== undefined && !scopeReachesAgent(scope, agentId)) return { items: [] };
    const rows = await this.schedules.list(scope, agentId);
    return { items: rows.filter((row) => scopeReachesAgent(scope, row.agent_id)).map(toSchedule) };
  }

  async get(scope: Scope, id: string): Promise<Schedule> {
    return toSchedule(await this.require(scope, id));
  }

  async update(scope: Scope, id: string, patch: ScheduleUpdateRequest): Promise<Schedule> {
    const current = await this.require(scope, id);
    await this.requireRunnable(scope, current.agent_id, "params.schedule_id");
    const changes: ScheduleChanges = { updated_at: this.now().toISOString() };
    if (patch.name != null) changes.name = patch.name;
    if (patch.input != null) changes.input = patch.input;
    if (patch.missed != null) changes.missed = patch.missed;
    if (patch.cron != null || patch.at != null || patch.timezone != null) {
      const timing: Timing = {
        cron: patch.at != null ? null : (patch.cron ?? current.cron),
        at: patch.cron != null ? null : patch.at != null ? new Date(patch.at).toISOString() : current.at,
        timezone: patch.timezone ?? current.timezone,
        // A one-time schedule given a cron becomes recurring; a cron's "first slot only" is kept.
        oneShot:
          patch.at != null || (current.one_shot === 1 && (patch.cron == null || current.cron !== null)),
      };
      if (timing.cron !== null)
        checkCron(timing.cron, timing.timezone, patch.cron != null ? "body.cron" : "body.timezone");
      if (patch.at != null && new Date(patch.at).getTime() <= this.now().getTime())
        throw fieldError(
          "VALIDATION_FAILED",
          "body.at",
          "is in the past; a one-time schedule needs a future time",
        );
      changes.cron = timing.cron;
      changes.at = timing.at;
      changes.timezone = timing.timezone;
      changes.one_shot = timing.oneShot ? 1 : 0;
      // New timing starts from now; a completed schedule given new timing is active again.
      if (current.status !== "paused") {
        const next = nextSlotAfter(timing, this.now());
        changes.next_fire_at = next?.toISOString() ?? null;
        changes.status = next ? "active" : "completed";
      }
    }
    const row = await this.schedules.update(scope, id, changes);
    if (!row) throw notFound(`Schedule "${id}"`);
    return toSchedule(row);
  }

  async pause(scope: Scope, id: string): Promise<Schedule> {
    const current = await this.require(scope, id);
    if (current.status === "completed") throw conflict(`Schedule "${id}" has completed; nothing to pause`);
    const row = await this.schedules.update(scope, id, {
      status: "paused",
      next_fire_at: null,
      updated_at: this.now().toISOString(),
    });
    if (!row) throw notFound(`Schedule "${id}"`);
    return toSchedule(row);
  }

  /**
   * Fires again from the next slot after now: slots that passed while paused are not run. A
   * one-time schedule whose time passed while paused is due at once and follows its missed policy.
   */
  async resume(scope: Scope, id: string): Promise<Schedule> {
    const current = await this.require(scope, id);
    if (current.status === "completed")
      throw conflict(`Schedule "${id}" has completed; give it new timing with an update to run it again`);
    await this.requireRunnable(scope, current.agent_id, "params.schedule_id");
    const now = this.now();
    const next =
      current.cron === null ? current.at : (nextSlotAfter(timingOf(current), now)?.toISOString() ?? null);
    const row = await this.schedules.update(scope, id, {
      status: next ? "active" : "completed",
      next_fire_at: next,
      updated_at: now.toISOString(),
    });
    if (!row) throw notFound(`Schedule "${id}"`);
    return toSchedule(row);
  }

  async delete(scope: Scope, id: string): Promise<{ deleted: true; id: string }> {
    await this.require(scope, id);
    if (!(await this.schedules.delete(scope, id))) throw notFound(`Schedule "${id}"`);
    return { deleted: true, id };
  }

  async history(scope: Scope, id: string, limit?: number): Promise<ScheduleHistory> {
    await this.require(scope, id);
    const rows = await this.schedules.history(scope, id, limit ?? DEFAULT_HISTORY);
    return {
      items: rows.map((row) => ({
        slot_time: row.slot_time,
        fired_at: row.fired_at,
        status: row.status as ScheduleHistory["items"][number]["status"],
        run_id: row.run_id,
        error: row.error,
        node: row.node,
      })),
    };
  }

  async nextTimes(scope: Scope, id: string, count?: number): Promise<ScheduleNextTimes> {
    const row = await this.require(scope, id);
    if (row.status !== "active" || row.next_fire_at === null) return { timezone: row.timezone, times: [] };
    const first = new Date(row.next_fire_at);
    const wanted = count ?? DEFAULT_NEXT;
    const timing = timingOf(row);
    const rest = timing.oneShot ? [] : nextSlots(timing, first, wanted - 1);
    return { timezone: row.timezone, times: [first, ...rest].map((d) => d.toISOString()) };
  }

  /** The caller may run the agent: it exists for them and they hold agents:execute. */
  async requireRunnable(scope: Scope, agentId: string, field: string): Promise<void> {
    if (!scopeAllows(scope, "agents:execute"))
      throw new AppError(
        "FORBIDDEN",
        "A schedule runs its agent with your authority: it needs the agents:execute permission as well",
        { required_permission: "agents:execute" },
      );
    const agent = scopeReachesAgent(scope, agentId)
      ? await this.agents.findByTenantAndId(scope, agentId)
      : undefined;
    if (!agent) throw fieldError("VALIDATION_FAILED", field, `agent "${agentId}" does not exist`);
  }

  private async require(scope: Scope, id: string): Promise<ScheduleRow> {
    const row = await this.schedules.findByTenantAndId(scope, id);
    if (!row || !scopeReachesAgent(scope, row.agent_id)) throw notFound(`Schedule "${id}"`);
    return row;
  }
}
