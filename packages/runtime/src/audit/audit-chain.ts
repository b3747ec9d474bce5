import { createHash } from "node:crypto";
import type { AuditLogTable } from "../store/schema.js";

/** What the first entry of every chain links back to. */
export const GENESIS_HASH = "0".repeat(64);

export type ChainedFields = Omit<AuditLogTable, "hash">;

/**
 * The hash of an entry covers every field and the previous entry's hash, so changing any stored
 * field, or removing or reordering entries, breaks the chain from that entry on.
 */
export function entryHash(entry: ChainedFields): string {
  const canonical = JSON.stringify([
    entry.tenant_id,
    entry.seq,
    entry.id,
    entry.at,
    entry.actor_id,
    entry.actor_kind,
    entry.actor_name,
    entry.action,
    entry.target_type,
    entry.target_id,
    entry.outcome,
    entry.status,
    entry.request_id,
    entry.source_ip,
    entry.details,
    entry.prev_hash,
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

export interface BrokenLink {
  seq: number;
  id: string | null;
  reason: string;
}

/**
 * Checks entries given in ascending seq order, continuing from `previous` (the last entry already
 * checked, or none). Answers the first link that does not hold.
 */
export function firstBrokenLink(
  entries: AuditLogTable[],
  previous: { seq: number; hash: string } | undefined,
): BrokenLink | undefined {
  let expectedSeq = (previous?.seq ?? 0) + 1;
  let expectedPrev = previous?.hash ?? GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      return {
        seq: expectedSeq,
        id: null,
        reason: `entry ${expectedSeq} is missing (the next one is ${entry.seq})`,
      };
    }
    if (entry.prev_hash !== expectedPrev) {
      return {
        seq: entry.seq,
        id: entry.id,
        reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1}`,
      };
    }
    const { hash, ...fields } = entry;
    if (entryHash(fields) !== hash) {
      return { seq: entry.seq, id: entry.id, reason: `entry ${entry.seq} was altered after it was written` };
    }
    expectedSeq += 1;
    expectedPrev = hash;
  }
  return undefined;
}
