import { Cron } from "croner";

/** When a schedule fires: a cron in a time zone, or one time. */
export interface Timing {
  readonly cron: string | null;
  readonly at: string | null;
  readonly timezone: string;
  readonly oneShot: boolean;
}

/** A cron expression the scheduler cannot read; the message says why. */
export class TimingError extends Error {
  override readonly name = "TimingError";
}

/**
 * The cron in its time zone. Croner computes slots in the zone's wall time, so "0 30 2 * * *" in
 * Europe/Berlin fires once on the night clocks go back and is not doubled or lost around DST.
 */
export function cronOf(expression: string, timezone: string): Cron {
  try {
    return new Cron(expression, { timezone, paused: true });
  } catch (error) {
    throw new TimingError((error as Error).message.replace(/^CronPattern: /, ""));
  }
}

/** The first slot strictly after `after`, or null when there is none (a one-time slot in the past). */
export function nextSlotAfter(timing: Timing, after: Date): Date | null {
  if (timing.cron === null) {
    const at = timing.at === null ? null : new Date(timing.at);
    return at !== null && at.getTime() > after.getTime() ? at : null;
  }
  return cronOf(timing.cron, timing.timezone).nextRun(after);
}

/** Up to `count` slots strictly after `after`. */
export function nextSlots(timing: Timing, after: Date, count: number): Date[] {
  if (timing.cron === null) {
    const next = nextSlotAfter(timing, after);
    return next ? [next] : [];
  }
  const cron = cronOf(timing.cron, timing.timezone);
  const slots: Date[] = [];
  let cursor = after;
  while (slots.length < count) {
    const next = cron.nextRun(cursor);
    if (!next) break;
    slots.push(next);
    if (timing.oneShot) break;
    cursor = next;
  }
  return slots;
}

/** The latest cron slot at or before `now`, no earlier than `from` (a slot at or before now). */
function latestSlot(cron: Cron, from: Date, now: Date): Date {
  // Croner counts in whole seconds and looks strictly before its reference: the second after now's.
  const [latest] = cron.previousRuns(1, new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000));
  return latest && latest.getTime() > from.getTime() ? latest : from;
}

/** What to do with a schedule whose next slot has come. */
export interface DuePlan {
  /** The slot this decision is about: recorded once, fired or skipped. */
  slot: Date;
  /** False for a slot missed beyond the grace period under the `skip` policy. */
  run: boolean;
  /** The slot after this one; null when the schedule completes. */
  next: Date | null;
}

/**
 * Decides a due schedule. Several slots that passed at once (downtime, a slow node) collapse into
 * the latest of them; that one runs if it is within `graceMs` of now, or under `run_latest`.
 */
export function planDue(
  timing: Timing,
  nextFireAt: Date,
  now: Date,
  graceMs: number,
  missed: "run_latest" | "skip",
): DuePlan {
  if (timing.cron === null) {
    const late = now.getTime() - nextFireAt.getTime() > graceMs;
    return { slot: nextFireAt, run: !late || missed === "run_latest", next: null };
  }
  const cron = cronOf(timing.cron, timing.timezone);
  const slot = latestSlot(cron, nextFireAt, now);
  const late = now.getTime() - slot.getTime() > graceMs;
  return {
    slot,
    run: !late || missed === "run_latest",
    next: timing.oneShot ? null : cron.nextRun(now),
  };
}
