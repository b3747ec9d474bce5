import type { HttpInputConfig } from "@symbiont/protocol";
import type { Selectable } from "kysely";
import type { Store } from "../store/database.js";
import type { HttpInputServerTable } from "../store/schema.js";

export type DesiredState = "running" | "stopped";

export interface InputServerRecord {
  tenantId: string;
  id: string;
  config: HttpInputConfig;
  desired: DesiredState;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

function toRecord(row: Selectable<HttpInputServerTable>): InputServerRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    config: JSON.parse(row.config) as HttpInputConfig,
    desired: row.desired as DesiredState,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** HTTP input servers. Every query but `listDesiredRunning` (start-up's) is tenant-scoped. */
export class InputServerRepository {
  constructor(private readonly store: Store) {}

  async insert(record: InputServerRecord): Promise<void> {
    await this.store.db
      .insertInto("http_input_servers")
      .values({
        tenant_id: record.tenantId,
        id: record.id,
        config: JSON.stringify(record.config),
        desired: record.desired,
        created_by: record.createdBy,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      })
      .execute();
  }

  async findByTenantAndId(tenantId: string, id: string): Promise<InputServerRecord | undefined> {
    const row = await this.store.db
      .selectFrom("http_input_servers")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async listByTenant(tenantId: string): Promise<InputServerRecord[]> {
    const rows = await this.store.db
      .selectFrom("http_input_servers")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRecord);
  }

  /** Every tenant's servers that should be running: what a start-up brings back. */
  async listDesiredRunning(): Promise<InputServerRecord[]> {
    const rows = await this.store.db
      .selectFrom("http_input_servers")
      .selectAll()
      .where("desired", "=", "running")
      .execute();
    return rows.map(toRecord);
  }

  async update(
    tenantId: string,
    id: string,
    changes: { config?: HttpInputConfig; desired?: DesiredState; updatedAt: string },
  ): Promise<boolean> {
    const result = await this.store.db
      .updateTable("http_input_servers")
      .set({
        ...(changes.config ? { config: JSON.stringify(changes.config) } : {}),
        ...(changes.desired ? { desired: changes.desired } : {}),
        updated_at: changes.updatedAt,
      })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom("http_input_servers")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
