import type { Logger } from "pino";
import { type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type { RunService } from "../runs/run-service.js";
import { restoreScope, type StoredScope } from "../runs/run-state.js";
import { AppError } from "../server/app-error.js";
import type { ScheduleRepository, ScheduleRow } from "./schedule-repository.js";
import { timingOf } from "./schedule-service.js";
import { planDue } from "./schedule-timing.js";

export interface SchedulerOptions {
  schedules: ScheduleRepository;
  runs: Pick<RunService, "execute">;
  /** Each fire is written to the tenant's audit log, as its creator (the scope its runs act with). */
  audit: AuditTrail;
  log: Logger;
  /** This node's name, written on the slots it claims. */
  node: string;
  graceMs: () => number;
  now?: () => Date;
  /** How often the scheduler looks for due slots; croner crons resolve to the second. */
  tickMs?: number;
}

/** What one tick did, for tests and logs. */
export interface TickResult {
  fired: { scheduleId: string; slot: string; runId: string | null }[];
  skipped: { scheduleId: string; slot: string }[];
}

const DUE_BATCH = 100;

/**
 * Fires due schedules. Every node may run one: a slot is claimed by inserting its fire row in a
 * transaction before the run starts, so across restarts and nodes each slot fires at most once.
 * A node that dies between the claim and starting the run leaves the slot claimed without a run,
 * visible in the history: never fired twice is the promise, not fired at least once.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<TickResult> | undefined;
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
  }

  /** One pass over the due schedules; concurrent calls share the pass in progress. */
  tick(): Promise<TickResult> {
    this.ticking ??= this.pass().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch((error: unknown) =>
          this.options.log.warn({ err: (error as Error).message }, "scheduler pass failed; retrying"),
        )
        .finally(() => this.schedule());
    }, this.options.tickMs ?? 1_000);
    this.timer.unref();
  }

  private async pass(): Promise<TickResult> {
    const result: TickResult = { fired: [], skipped: [] };
    const now = this.now();
    const due = await this.options.schedules.due(now.toISOString(), DUE_BATCH);
    for (const row of due) {
      if (this.stopped) break;
      try {
        await this.handle(row, now, result);
      } catch (error) {
        this.options.log.warn(
          { schedule: row.id, tenant: row.tenant_id, err: (error as Error).message },
          "schedule could not be handled this pass",
        );
      }
    }
    return result;
  }

  private async handle(row: ScheduleRow, now: Date, result: TickResult): Promise<void> {
    const expected = row.next_fire_at as string;
    const plan = planDue(
      timingOf(row),
      new Date(expected),
      now,
      this.options.graceMs(),
      row.missed as "run_latest" | "skip",
    );
    const slot = plan.slot.toISOString();
    const won = await this.options.schedules.claim({
      tenantId: row.tenant_id,
      scheduleId: row.id,
      expectedNextFireAt: expected,
      slotTime: slot,
      firedAt: now.toISOString(),
      node: this.options.node,
      status: plan.run ? "claimed" : "skipped",
      nextFireAt: plan.next?.toISOString() ?? null,
      completes: plan.next === null,
    });
    if (!won) return;
    if (!plan.run) {
      this.options.log.info({ schedule: row.id, slot }, "missed slot skipped by the schedule's policy");
      result.skipped.push({ scheduleId: row.id, slot });
      return;
    }
    const runId = await this.fire(row, slot);
    result.fired.push({ scheduleId: row.id, slot, runId });
  }

  /** Starts the run with the creator's stored scope; the outcome is written on the slot's row. */
  private async fire(row: ScheduleRow, slot: string): Promise<string | null> {
    const scope = restoreScope(JSON.parse(row.scope) as StoredScope);
    const input = row.input ?? `Scheduled run of "${row.name}" for the slot ${slot}.`;
    const audit = (status: number, details: Record<string, unknown>) =>
      this.options.audit.record({
        actor: actorOf(scope),
        action: "schedule.fired",
        target: { type: "schedule", id: row.id },
        status,
        requestId: `schedule:${row.id}:${slot}`,
        sourceIp: "internal",
        details: { agent_id: row.agent_id, slot_time: slot, node: this.options.node, ...details },
      });
    try {
      const run = await this.options.runs.execute(scope, row.agent_id, { input, wait: false });
      await this.options.schedules.recordOutcome(row.tenant_id, row.id, slot, {
        status: "started",
        runId: run.id,
        error: null,
      });
      await audit(200, { run_id: run.id });
      this.options.log.info({ schedule: row.id, slot, run: run.id }, "schedule fired");
      return run.id;
    } catch (error) {
      // An AppError is the run's own refusal (the agent was deleted); anything else is kept short.
      const message =
        error instanceof AppError ? error.message : `run could not start: ${(error as Error).message}`;
      await this.options.schedules.recordOutcome(row.tenant_id, row.id, slot, {
        status: "failed",
        runId: null,
        error: message,
      });
      await audit(error instanceof AppError ? error.status : 500, { error: message }).catch(() => {});
      this.options.log.warn(
        { schedule: row.id, slot, err: message },
        "schedule fired but its run did not start",
      );
      return null;
    }
  }
}
