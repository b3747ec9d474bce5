import type {
  EndpointHttpMethod,
  EndpointStatus,
  PayloadFilter,
  WebhookVerification,
} from "@symbiont/protocol";
import type { Selectable } from "kysely";
import type { Store } from "../store/database.js";
import type { HttpEndpointTable } from "../store/schema.js";

export interface EndpointRecord {
  tenantId: string;
  id: string;
  method: EndpointHttpMethod;
  path: string;
  agentId: string;
  description: string | null;
  status: EndpointStatus;
  authRequired: boolean;
  rateLimit: number | null;
  timeoutSeconds: number;
  middleware: string[];
  metadata: Record<string, unknown>;
  verification: WebhookVerification | null;
  filters: PayloadFilter[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** SQLite and Postgres say "unique violation" differently. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e.code === "23505" ||
    e.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    /UNIQUE constraint failed/.test(e.message ?? "")
  );
}

function toRow(record: EndpointRecord): HttpEndpointTable {
  return {
    tenant_id: record.tenantId,
    id: record.id,
    method: record.method,
    path: record.path,
    agent_id: record.agentId,
    description: record.description,
    status: record.status,
    auth_required: record.authRequired ? 1 : 0,
    rate_limit: record.rateLimit,
    timeout_seconds: record.timeoutSeconds,
    middleware: JSON.stringify(record.middleware),
    metadata: JSON.stringify(record.metadata),
    verification: record.verification ? JSON.stringify(record.verification) : null,
    filters: JSON.stringify(record.filters),
    created_by: record.createdBy,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function toRecord(row: Selectable<HttpEndpointTable>): EndpointRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    method: row.method as EndpointHttpMethod,
    path: row.path,
    agentId: row.agent_id,
    description: row.description,
    status: row.status as EndpointStatus,
    authRequired: Number(row.auth_required) === 1,
    rateLimit: row.rate_limit === null ? null : Number(row.rate_limit),
    timeoutSeconds: Number(row.timeout_seconds),
    middleware: JSON.parse(row.middleware) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    verification: row.verification ? (JSON.parse(row.verification) as WebhookVerification) : null,
    filters: JSON.parse(row.filters) as PayloadFilter[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Dynamic endpoints. Reads and writes by id are tenant-scoped; the router alone reads every tenant's. */
export class EndpointRepository {
  constructor(private readonly store: Store) {}

  /** False when method + path is taken (by any tenant: they share /hooks). */
  async insert(record: EndpointRecord): Promise<boolean> {
    const result = await this.store.db
      .insertInto("http_endpoints")
      .values(toRow(record))
      .onConflict((c) => c.columns(["method", "path"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async findByTenantAndId(tenantId: string, id: string): Promise<EndpointRecord | undefined> {
    const row = await this.store.db
      .selectFrom("http_endpoints")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async listByTenant(tenantId: string): Promise<EndpointRecord[]> {
    const rows = await this.store.db
      .selectFrom("http_endpoints")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRecord);
  }

  /** Every tenant's endpoints: the routing table of /hooks. */
  async listAll(): Promise<EndpointRecord[]> {
    const rows = await this.store.db.selectFrom("http_endpoints").selectAll().execute();
    return rows.map(toRecord);
  }

  /** Replaces the row; false when it is gone. Throws a unique violation when method + path is taken. */
  async update(record: EndpointRecord): Promise<boolean> {
    const { tenant_id, id, created_at, created_by, ...changes } = toRow(record);
    const result = await this.store.db
      .updateTable("http_endpoints")
      .set(changes)
      .where("tenant_id", "=", tenant_id)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom("http_endpoints")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
