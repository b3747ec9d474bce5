import { z } from "zod";
import { labelText, Timestamp } from "./text.js";

export const AuditOutcome = z.enum(["success", "denied", "failed"]);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** One entry of a tenant's append-only, hash-chained audit log. */
export const AuditEntry = z.object({
  seq: z.int().min(1).describe("Position in the tenant's chain, from 1 without gaps"),
  id: z.string(),
  at: Timestamp,
  actor_id: z.string(),
  actor_kind: z.string(),
  actor_name: z.string(),
  action: z.string().describe("The route's operation id, e.g. createAgent, revokeApiKey"),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  outcome: AuditOutcome,
  status: z.int().describe("The HTTP status answered"),
  request_id: z.string(),
  source_ip: z.string(),
  details: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string().describe("SHA-256 over this entry and prev_hash"),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Entries with a seq below this; for paging back"),
  action: labelText(128).optional(),
  actor: labelText(256).optional().describe("An actor id"),
  outcome: AuditOutcome.optional(),
});

export const AuditPage = z.object({
  entries: z.array(AuditEntry).describe("Newest first"),
  next_before: z.int().nullable().describe("Pass as `before` for the next (older) page; null on the last"),
});
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  checked: z.int().min(0).describe("Entries checked"),
  first_broken: z
    .object({ seq: z.int(), id: z.string().nullable(), reason: z.string() })
    .nullable()
    .describe("The first entry that does not hold, and why"),
});
export type AuditVerification = z.infer<typeof AuditVerification>;
