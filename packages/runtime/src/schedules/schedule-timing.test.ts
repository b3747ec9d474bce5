import { describe, expect, it } from "vitest";
import { cronOf, nextSlots, planDue, type Timing, TimingError } from "./schedule-timing.js";

const cron = (expression: string, timezone = "UTC", oneShot = false): Timing => ({
  cron: expression,
  at: null,
  timezone,
  oneShot,
});
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("schedule timing", () => {
  it("reads a cron in its time zone, once per local day across both DST changes", () => {
    const nightly = cron("0 30 2 * * *", "Europe/Berlin");
    // Clocks go back on 2026-10-25: 02:30 happens twice in Berlin and fires once (the first).
    expect(iso(nextSlots(nightly, new Date("2026-10-24T12:00:00Z"), 3))).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
    // Clocks go forward on 2026-03-29: there is no 02:30; it fires once that day, an hour later.
    const spring = iso(nextSlots(nightly, new Date("2026-03-28T12:00:00Z"), 3));
    expect(spring).toEqual([
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("reads seconds-first crons, five-field crons and macros; refuses malformed ones with the reason", () => {
    expect(iso(nextSlots(cron("*/10 * * * * *"), new Date("2026-01-01T00:00:10Z"), 2))).toEqual([
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:30.000Z",
    ]);
    expect(
      iso(nextSlots(cron("0 9 * * MON-FRI", "America/New_York"), new Date("2026-01-02T00:00:00Z"), 2)),
    ).toEqual(["2026-01-02T14:00:00.000Z", "2026-01-05T14:00:00.000Z"]);
    expect(iso(nextSlots(cron("@daily"), new Date("2026-01-01T05:00:00Z"), 1))).toEqual([
      "2026-01-02T00:00:00.000Z",
    ]);
    expect(() => cronOf("61 * * * *", "UTC")).toThrow(TimingError);
    expect(() => cronOf("61 * * * *", "UTC")).toThrow(/minute: 61/);
    expect(() => cronOf("* * *", "UTC")).toThrow(/five, six, or seven/);
  });

  it("collapses slots missed during downtime into the latest one, run or skipped by policy", () => {
    const everyMinute = cron("0 * * * * *");
    const from = new Date("2026-01-01T00:01:00Z");
    const now = new Date("2026-01-01T03:17:30Z");
    const run = planDue(everyMinute, from, now, 60_000, "run_latest");
    expect(run.slot.toISOString()).toBe("2026-01-01T03:17:00.000Z");
    expect(run.run).toBe(true);
    expect(run.next?.toISOString()).toBe("2026-01-01T03:18:00.000Z");
    // Within the grace period the latest slot runs whatever the policy: it is on time.
    expect(planDue(everyMinute, from, now, 60_000, "skip").run).toBe(true);
    expect(planDue(everyMinute, from, new Date("2026-01-01T03:17:00Z"), 0, "skip").run).toBe(true);
    const late = planDue(cron("0 0 * * * *"), new Date("2026-01-01T01:00:00Z"), now, 60_000, "skip");
    expect(late).toMatchObject({ run: false });
    expect(late.slot.toISOString()).toBe("2026-01-01T03:00:00.000Z");
  });

  it("completes one-shot schedules after their slot", () => {
    const once: Timing = { cron: null, at: "2026-05-01T10:00:00.000Z", timezone: "UTC", oneShot: true };
    expect(nextSlots(once, new Date("2026-04-01T00:00:00Z"), 5)).toHaveLength(1);
    expect(nextSlots(once, new Date("2026-06-01T00:00:00Z"), 5)).toHaveLength(0);
    const plan = planDue(once, new Date(once.at as string), new Date("2026-05-01T10:00:01Z"), 60_000, "skip");
    expect(plan).toMatchObject({ run: true, next: null });
    expect(
      planDue(once, new Date(once.at as string), new Date("2026-05-02T00:00:00Z"), 60_000, "skip").run,
    ).toBe(false);
    const firstOnly = planDue(
      cron("0 0 * * * *", "UTC", true),
      new Date("2026-01-01T01:00:00Z"),
      new Date("2026-01-01T01:00:02Z"),
      60_000,
      "run_latest",
    );
    expect(firstOnly).toMatchObject({ run: true, next: null });
  });
});
