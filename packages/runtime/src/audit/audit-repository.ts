import type { Selectable } from "kysely";
import type { Store } from "../store/database.js";
import type { AuditHeadTable, AuditLogTable } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import { type ChainedFields, entryHash, GENESIS_HASH } from "./audit-chain.js";

export type AuditRow = Selectable<AuditLogTable>;
export type NewAuditEntry = Omit<ChainedFields, "seq" | "prev_hash">;

export interface AuditFilter {
  before?: number | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  outcome?: string | undefined;
}

/** Tenant chains of audit entries: appended under a lock, never updated or deleted here. */
export class AuditRepository {
  constructor(private readonly store: Store) {}

  /** Links the entry to its tenant's chain and stores it with the new head, atomically. */
  append(entry: NewAuditEntry): Promise<AuditRow> {
    return withWriteLock(this.store, `audit:${entry.tenant_id}`, async (db) => {
      const head = await db
        .selectFrom("audit_heads")
        .select(["seq", "hash"])
        .where("tenant_id", "=", entry.tenant_id)
        .executeTakeFirst();
      const fields: ChainedFields = {
        ...entry,
        seq: (head?.seq ?? 0) + 1,
        prev_hash: head?.hash ?? GENESIS_HASH,
      };
      const row: AuditRow = { ...fields, hash: entryHash(fields) };
      await db.insertInto("audit_log").values(row).execute();
      await db
        .insertInto("audit_heads")
        .values({ tenant_id: row.tenant_id, seq: row.seq, hash: row.hash })
        .onConflict((conflict) => conflict.column("tenant_id").doUpdateSet({ seq: row.seq, hash: row.hash }))
        .execute();
      return row;
    });
  }

  list(tenantId: string, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    let query = this.store.db.selectFrom("audit_log").selectAll().where("tenant_id", "=", tenantId);
    if (filter.before !== undefined) query = query.where("seq", "<", filter.before);
    if (filter.action !== undefined) query = query.where("action", "=", filter.action);
    if (filter.actor !== undefined) query = query.where("actor_id", "=", filter.actor);
    if (filter.outcome !== undefined) query = query.where("outcome", "=", filter.outcome);
    return query.orderBy("seq", "desc").limit(limit).execute();
  }

  /** Entries in chain order after `afterSeq`, a batch at a time, for verification. */
  chainAfter(tenantId: string, afterSeq: number, batch: number): Promise<AuditRow[]> {
    return this.store.db
      .selectFrom("audit_log")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("seq", ">", afterSeq)
      .orderBy("seq", "asc")
      .limit(batch)
      .execute();
  }

  head(tenantId: string): Promise<Selectable<AuditHeadTable> | undefined> {
    return this.store.db
      .selectFrom("audit_heads")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
  }
}
