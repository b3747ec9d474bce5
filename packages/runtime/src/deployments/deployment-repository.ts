import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import type { Database, DeploymentTable } from "../store/schema.js";

export type DeploymentRow = Selectable<DeploymentTable>;
export type NewDeploymentRow = Insertable<DeploymentTable>;
export type DeploymentChanges = Omit<Updateable<DeploymentTable>, "tenant_id" | "id" | "agent_id">;

/** Deployments, filtered by tenant (and by the agents a credential reaches) in every query that serves a caller. */
export class DeploymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewDeploymentRow): Promise<void> {
    await this.db.insertInto("deployments").values(row).execute();
  }

  async find(scope: Scope, id: string): Promise<DeploymentRow | undefined> {
    const row = await this.findInTenant(scope.tenantId, id);
    return row && scopeReachesAgent(scope, row.agent_id) ? row : undefined;
  }

  findInTenant(tenantId: string, id: string): Promise<DeploymentRow | undefined> {
    return this.db
      .selectFrom("deployments")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  async list(scope: Scope, agentId: string | undefined, limit: number): Promise<DeploymentRow[]> {
    let query = this.db.selectFrom("deployments").selectAll().where("tenant_id", "=", scope.tenantId);
    if (agentId !== undefined) query = query.where("agent_id", "=", agentId);
    const rows = await query.orderBy("deployed_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.filter((row) => scopeReachesAgent(scope, row.agent_id));
  }

  /** What this node should be running, in every tenant: for reconciling after a restart. */
  desiredRunning(owner: string, executor: string): Promise<DeploymentRow[]> {
    return this.db
      .selectFrom("deployments")
      .selectAll()
      .where("desired", "=", "running")
      .where("owner", "=", owner)
      .where("executor", "=", executor)
      .orderBy("deployed_at")
      .execute();
  }

  async update(tenantId: string, id: string, changes: DeploymentChanges): Promise<void> {
    await this.db
      .updateTable("deployments")
      .set(changes)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute();
  }

  /** Moves the status only while the operator still wants the deployment running, so a late report cannot undo a stop. */
  async updateWhileDesired(tenantId: string, id: string, changes: DeploymentChanges): Promise<boolean> {
    const result = await this.db
      .updateTable("deployments")
      .set(changes)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .where("desired", "=", "running")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async countByStatus(scope: Scope): Promise<{ status: string; count: number; restarts: number }[]> {
    const rows = await this.db
      .selectFrom("deployments")
      .select((eb) => [
        "status",
        eb.fn.countAll<number | string>().as("count"),
        eb.fn.sum<number | string | null>("restarts").as("restarts"),
      ])
      .where("tenant_id", "=", scope.tenantId)
      .groupBy("status")
      .execute();
    return rows.map((row) => ({
      status: row.status,
      count: Number(row.count),
      restarts: Number(row.restarts ?? 0),
    }));
  }
}
