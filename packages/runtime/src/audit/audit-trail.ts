import { randomUUID } from "node:crypto";
import type { AuditEntry, AuditOutcome, AuditPage, AuditVerification } from "@symbiont/protocol";
import type { Scope } from "../identity/scope.js";
import { firstBrokenLink } from "./audit-chain.js";
import type { AuditFilter, AuditRepository, AuditRow } from "./audit-repository.js";

export interface AuditActor {
  tenantId: string;
  id: string;
  kind: string;
  name: string;
}

export interface AuditEvent {
  actor: AuditActor;
  action: string;
  target: { type: string; id: string | null } | null;
  status: number;
  requestId: string;
  sourceIp: string;
  details?: Record<string, unknown>;
}

export const actorOf = (scope: Scope): AuditActor => ({
  tenantId: scope.tenantId,
  id: scope.principalId,
  kind: scope.principalKind,
  name: scope.principalName,
});

export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return "success";
  return status === 401 || status === 403 ? "denied" : "failed";
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor_id: row.actor_id,
    actor_kind: row.actor_kind,
    actor_name: row.actor_name,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    outcome: row.outcome as AuditOutcome,
    status: row.status,
    request_id: row.request_id,
    source_ip: row.source_ip,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

const DEFAULT_PAGE = 100;
const VERIFY_BATCH = 1_000;

/** The tenants' audit logs: what happened, who did it, and proof that nobody rewrote it since. */
export class AuditTrail {
  constructor(
    private readonly entries: AuditRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.entries.append({
      tenant_id: event.actor.tenantId,
      id: randomUUID(),
      at: this.now().toISOString(),
      actor_id: event.actor.id,
      actor_kind: event.actor.kind,
      actor_name: event.actor.name,
      action: event.action,
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      outcome: outcomeOf(event.status),
      status: event.status,
      request_id: event.requestId,
      source_ip: event.sourceIp,
      details: JSON.stringify(event.details ?? {}),
    });
  }

  async list(scope: Scope, filter: AuditFilter, limit = DEFAULT_PAGE): Promise<AuditPage> {
    const rows = await this.entries.list(scope.tenantId, filter, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { entries: page.map(toEntry), next_before: rows.length > limit && last ? last.seq : null };
  }

  async verify(scope: Scope): Promise<AuditVerification> {
    let previous: { seq: number; hash: string } | undefined;
    let checked = 0;
    for (;;) {
      const batch = await this.entries.chainAfter(scope.tenantId, previous?.seq ?? 0, VERIFY_BATCH);
      const broken = firstBrokenLink(batch, previous);
      if (broken)
        return {
          ok: false,
          checked: checked + batch.findIndex((row) => row.seq >= broken.seq),
          first_broken: broken,
        };
      checked += batch.length;
      const last = batch.at(-1);
      if (last) previous = { seq: last.seq, hash: last.hash };
      if (batch.length < VERIFY_BATCH) break;
    }
    const head = await this.entries.head(scope.tenantId);
    const lastSeq = previous?.seq ?? 0;
    if ((head?.seq ?? 0) !== lastSeq) {
      const headSeq = head?.seq ?? 0;
      return {
        ok: false,
        checked,
        first_broken:
          headSeq > lastSeq
            ? {
                seq: lastSeq + 1,
                id: null,
                reason: `entries ${lastSeq + 1} to ${headSeq} were removed from the end`,
              }
            : {
                seq: lastSeq,
                id: null,
                reason: "the chain's recorded head is missing or behind its entries",
              },
      };
    }
    if (head && previous && head.hash !== previous.hash) {
      return {
        ok: false,
        checked,
        first_broken: {
          seq: lastSeq,
          id: null,
          reason: `entry ${lastSeq} is not the one recorded as the head`,
        },
      };
    }
    return { ok: true, checked, first_broken: null };
  }
}
