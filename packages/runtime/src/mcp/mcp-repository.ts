import type { McpServerConfig } from "@symbiont/protocol";
import type { Store } from "../store/database.js";

/** What is stored for a server: the config as sent, secret references unresolved. */
export type StoredServerConfig = Omit<McpServerConfig, "name">;

export interface McpServerRecord {
  tenantId: string;
  name: string;
  config: StoredServerConfig;
  createdBy: string;
  createdAt: string;
}

/** Registered MCP servers. Every query is filtered by the caller's tenant. */
export class McpServerRepository {
  constructor(private readonly store: Store) {}

  /** False when the tenant has a server of that name already. */
  async insert(record: McpServerRecord): Promise<boolean> {
    const result = await this.store.db
      .insertInto("mcp_servers")
      .values({
        tenant_id: record.tenantId,
        name: record.name,
        config: JSON.stringify(record.config),
        created_by: record.createdBy,
        created_at: record.createdAt,
      })
      .onConflict((c) => c.columns(["tenant_id", "name"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async get(tenantId: string, name: string): Promise<McpServerRecord | undefined> {
    const row = await this.store.db
      .selectFrom("mcp_servers")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(tenantId: string): Promise<McpServerRecord[]> {
    const rows = await this.store.db
      .selectFrom("mcp_servers")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("name")
      .execute();
    return rows.map(toRecord);
  }

  async delete(tenantId: string, name: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom("mcp_servers")
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRecord(row: {
  tenant_id: string;
  name: string;
  config: string;
  created_by: string;
  created_at: string;
}): McpServerRecord {
  return {
    tenantId: row.tenant_id,
    name: row.name,
    config: JSON.parse(row.config) as StoredServerConfig,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
