import { z } from "zod";
import { labelText, ResourceName, storableText, Timestamp } from "./text.js";

/** Whether the IANA time zone name is one this runtime (its ICU data) knows. Pure: no I/O. */
export function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TimeZone = labelText(64).refine(
  knownTimeZone,
  'must be an IANA time zone like "Europe/Berlin" or "UTC"',
);

/**
 * What happens to slots that fell due while no runtime was up (or while the scheduler lagged past
 * the grace period): `run_latest` fires the most recent missed slot once, `skip` fires none and
 * waits for the next slot. Slots are never fired twice either way.
 */
export const MissedSlotPolicy = z.enum(["run_latest", "skip"]);
export type MissedSlotPolicy = z.infer<typeof MissedSlotPolicy>;

export const ScheduleStatus = z.enum(["active", "paused", "completed"]);
export type ScheduleStatus = z.infer<typeof ScheduleStatus>;

const scheduleFields = {
  name: labelText(256),
  agent_id: ResourceName,
  /** 5 fields (minute first), 6 (seconds first) or a macro such as @daily; null with `at`. */
  cron: labelText(256).nullish(),
  /** A one-time slot instead of `cron`. */
  at: Timestamp.nullish(),
  timezone: TimeZone.default("UTC"),
  /** The input every fired run gets; unset, the run is told the schedule's name and slot time. */
  input: storableText(65_536, 1).nullish(),
  /** With `cron`: fire the first slot, then complete. Always true with `at`. */
  one_shot: z.boolean().default(false),
  missed: MissedSlotPolicy.default("run_latest"),
};

export const ScheduleCreateRequest = z
  .strictObject(scheduleFields)
  .refine((s) => (s.cron == null) !== (s.at == null), {
    message: "give exactly one of cron (recurring) or at (one time)",
    path: ["cron"],
  });
export type ScheduleCreateRequest = z.input<typeof ScheduleCreateRequest>;

export const ScheduleUpdateRequest = z
  .strictObject({
    name: scheduleFields.name.nullish(),
    cron: labelText(256).nullish(),
    at: Timestamp.nullish(),
    timezone: TimeZone.nullish(),
    input: storableText(65_536, 1).nullish(),
    missed: MissedSlotPolicy.nullish(),
  })
  .refine((u) => Object.values(u).some((v) => v !== null && v !== undefined), {
    message: "must change at least one field",
  })
  .refine((u) => u.cron == null || u.at == null, {
    message: "give cron or at, not both",
    path: ["cron"],
  });
export type ScheduleUpdateRequest = z.input<typeof ScheduleUpdateRequest>;

export const Schedule = z.object({
  id: z.string(),
  name: z.string(),
  agent_id: z.string(),
  cron: z.string().nullable(),
  at: Timestamp.nullable(),
  timezone: z.string(),
  input: z.string().nullable(),
  one_shot: z.boolean(),
  missed: MissedSlotPolicy,
  status: ScheduleStatus,
  /** Where it came from: null through the API, `dsl:<agent id>` from a registered .symbi file. */
  origin: z.string().nullable(),
  /** The slot the scheduler fires next; null once completed or while paused. */
  next_fire_at: Timestamp.nullable(),
  last_fired_at: Timestamp.nullable(),
  created_by: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleList = z.object({ items: z.array(Schedule) });
export type ScheduleList = z.infer<typeof ScheduleList>;

export const ScheduleIdParams = z.strictObject({ schedule_id: ResourceName });

export const ScheduleListQuery = z.strictObject({ agent_id: ResourceName.optional() });

/** `started`: the run was created; `failed`: it could not be (the error says why); `skipped`: a missed slot not run by policy. */
export const ScheduleFireStatus = z.enum(["claimed", "started", "failed", "skipped"]);

export const ScheduleFire = z.object({
  slot_time: Timestamp.describe("The slot this fire is for; one fire per slot, ever"),
  fired_at: Timestamp,
  status: ScheduleFireStatus,
  run_id: z.string().nullable(),
  error: z.string().nullable(),
  node: z.string().describe("The runtime node that claimed the slot"),
});
export type ScheduleFire = z.infer<typeof ScheduleFire>;

export const ScheduleHistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const ScheduleHistory = z.object({ items: z.array(ScheduleFire).describe("Newest slot first") });
export type ScheduleHistory = z.infer<typeof ScheduleHistory>;

export const ScheduleNextQuery = z.strictObject({
  count: z.coerce.number().int().min(1).max(100).optional(),
});

export const ScheduleNextTimes = z.object({
  timezone: z.string(),
  times: z.array(Timestamp).describe("The coming slots in UTC; empty once completed or while paused"),
});
export type ScheduleNextTimes = z.infer<typeof ScheduleNextTimes>;

export const ScheduleDeletedResponse = z.object({ deleted: z.literal(true), id: z.string() });
