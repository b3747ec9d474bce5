import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { Scope } from "../identity/scope.js";
import type { Database, PolicyTable } from "../store/schema.js";

export type PolicyRow = Selectable<PolicyTable>;
export type PolicyChanges = Omit<
  Updateable<PolicyTable>,
  "tenant_id" | "id" | "agent_id" | "created_at" | "origin"
>;

/** Every query is filtered by the scope's tenant; callers check agent reach. */
export class PolicyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(scope: Scope, row: Omit<Insertable<PolicyTable>, "tenant_id">): Promise<void> {
    await this.db
      .insertInto("policies")
      .values({ ...row, tenant_id: scope.tenantId })
      .execute();
  }

  findByTenantAndId(scope: Scope, id: string): Promise<PolicyRow | undefined> {
    return this.db
      .selectFrom("policies")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** The tenant's policies; with an agent, that agent's and the tenant-wide ones. */
  list(scope: Scope, agentId?: string): Promise<PolicyRow[]> {
    let query = this.db.selectFrom("policies").selectAll().where("tenant_id", "=", scope.tenantId);
    if (agentId !== undefined)
      query = query.where((eb) => eb.or([eb("agent_id", "is", null), eb("agent_id", "=", agentId)]));
    return query.orderBy("created_at").orderBy("id").execute();
  }

  /** The enabled policies that govern one agent's calls: the tenant's and the agent's own. */
  enabledFor(tenantId: string, agentId: string): Promise<PolicyRow[]> {
    return this.db
      .selectFrom("policies")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("enabled", "=", 1)
      .where((eb) => eb.or([eb("agent_id", "is", null), eb("agent_id", "=", agentId)]))
      .execute();
  }

  /**
   * Replaces the policies a .symbi registration stored (same origin) with new ones, in one
   * transaction: the gate reads the old set or the new, never a mix.
   */
  async replaceByOrigin(
    scope: Scope,
    origin: string,
    rows: Omit<Insertable<PolicyTable>, "tenant_id" | "origin">[],
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom("policies")
        .where("tenant_id", "=", scope.tenantId)
        .where("origin", "=", origin)
        .execute();
      if (rows.length > 0)
        await trx
          .insertInto("policies")
          .values(rows.map((row) => ({ ...row, tenant_id: scope.tenantId, origin })))
          .execute();
    });
  }

  update(scope: Scope, id: string, changes: PolicyChanges): Promise<PolicyRow | undefined> {
    return this.db
      .updateTable("policies")
      .set(changes)
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("policies")
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
