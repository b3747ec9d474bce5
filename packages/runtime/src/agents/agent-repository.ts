import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import type { ChangeVersion } from "../store/change-version.js";
import type { AgentTable, Database } from "../store/schema.js";
import { VersionedCache } from "../store/versioned-cache.js";

export type AgentRow = Selectable<AgentTable>;
export type NewAgentRow = Omit<Insertable<AgentTable>, "tenant_id">;
export type AgentChanges = Omit<Updateable<AgentTable>, "tenant_id" | "id" | "version" | "created_at">;

export interface PageCursor {
  createdAt: string;
  id: string;
}

/** Every query is filtered by the scope's tenant; another tenant's agent does not exist here. */
export class AgentRepository {
  /** Listing ids is the hottest read; it is answered from memory until the database changes. */
  private readonly idLists: VersionedCache<string, readonly string[]>;

  constructor(
    private readonly db: Kysely<Database>,
    changeVersion?: ChangeVersion,
  ) {
    this.idLists = new VersionedCache(changeVersion);
  }

  /** Inserts unless the id is taken in this tenant; true when this call created the row. */
  async insertIfAbsent(scope: Scope, row: NewAgentRow): Promise<boolean> {
    const result = await this.db
      .insertInto("agents")
      .values({ ...row, tenant_id: scope.tenantId })
      .onConflict((conflict) => conflict.columns(["tenant_id", "id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  findByTenantAndId(scope: Scope, id: string): Promise<AgentRow | undefined> {
    if (!scopeReachesAgent(scope, id)) return Promise.resolve(undefined);
    return this.db
      .selectFrom("agents")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  listIds(scope: Scope): readonly string[] | Promise<readonly string[]> {
    const ids = this.tenantIds(scope);
    if (scope.agentIds === null) return ids;
    const reachable = (all: readonly string[]) =>
      Object.freeze(all.filter((id) => scopeReachesAgent(scope, id)));
    return ids instanceof Promise ? ids.then(reachable) : reachable(ids);
  }

  private tenantIds(scope: Scope): readonly string[] | Promise<readonly string[]> {
    return this.idLists.read(scope.tenantId, async () => {
      const rows = await this.db
        .selectFrom("agents")
        .select("id")
        .where("tenant_id", "=", scope.tenantId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return Object.freeze(rows.map((row) => row.id));
    });
  }

  listPage(scope: Scope, limit: number, after: PageCursor | undefined): Promise<AgentRow[]> {
    let query = this.db.selectFrom("agents").selectAll().where("tenant_id", "=", scope.tenantId);
    if (scope.agentIds !== null) query = query.where("id", "in", [...scope.agentIds]);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", ">", after.createdAt),
          eb.and([eb("created_at", "=", after.createdAt), eb("id", ">", after.id)]),
        ]),
      );
    }
    return query.orderBy("created_at").orderBy("id").limit(limit).execute();
  }

  /** Applies the changes and bumps the version in one statement; undefined when there is no such agent. */
  update(scope: Scope, id: string, changes: AgentChanges): Promise<AgentRow | undefined> {
    if (!scopeReachesAgent(scope, id)) return Promise.resolve(undefined);
    return this.db
      .updateTable("agents")
      .set((eb) => ({ ...changes, version: eb("version", "+", 1) }))
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    if (!scopeReachesAgent(scope, id)) return false;
    const result = await this.db
      .deleteFrom("agents")
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Agents of every tenant by state: instance-wide, for the operator's metrics only. */
  async countAllByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom("agents")
      .select(["state", (eb) => eb.fn.countAll<number | string>().as("count")])
      .groupBy("state")
      .execute();
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  async countByState(scope: Scope): Promise<{ total: number; active: number }> {
    const row = await this.db
      .selectFrom("agents")
      .select((eb) => [
        eb.fn.countAll().as("total"),
        eb.fn.sum(eb.case().when("state", "in", ["active", "busy"]).then(1).else(0).end()).as("active"),
      ])
      .where("tenant_id", "=", scope.tenantId)
      .executeTakeFirstOrThrow();
    return { total: Number(row.total), active: Number(row.active ?? 0) };
  }
}
