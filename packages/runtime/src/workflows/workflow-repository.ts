import type { WorkflowExecutionStatus } from "@symbiont/protocol";
import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { Scope } from "../identity/scope.js";
import type { PageCursor } from "../server/page-cursor.js";
import type {
  Database,
  WorkflowDefinitionTable,
  WorkflowExecutionTable,
  WorkflowStepTable,
} from "../store/schema.js";

export type WorkflowDefinitionRow = Selectable<WorkflowDefinitionTable>;
export type WorkflowExecutionRow = Selectable<WorkflowExecutionTable>;
export type WorkflowStepRow = Selectable<WorkflowStepTable>;
export type ExecutionChanges = Omit<Updateable<WorkflowExecutionTable>, "tenant_id" | "id">;
export type StepChanges = Omit<Updateable<WorkflowStepTable>, "tenant_id" | "execution_id" | "step_id">;

export const UNFINISHED_EXECUTION: WorkflowExecutionStatus[] = ["running", "awaiting_approval"];

/** Definitions, executions and step states; every read by a caller is scoped to its tenant. */
export class WorkflowRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The latest version of a definition named by id or by name. */
  async latestDefinition(tenantId: string, idOrName: string): Promise<WorkflowDefinitionRow | undefined> {
    return this.db
      .selectFrom("workflow_definitions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
      .orderBy("version", "desc")
      .limit(1)
      .executeTakeFirst();
  }

  async definitionVersion(
    tenantId: string,
    idOrName: string,
    version: number,
  ): Promise<WorkflowDefinitionRow | undefined> {
    return this.db
      .selectFrom("workflow_definitions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
      .where("version", "=", version)
      .executeTakeFirst();
  }

  async versions(tenantId: string, id: string): Promise<WorkflowDefinitionRow[]> {
    return this.db
      .selectFrom("workflow_definitions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .orderBy("version", "desc")
      .execute();
  }

  /** The latest version of every definition of the tenant, by name. */
  async latestDefinitions(tenantId: string, limit: number): Promise<WorkflowDefinitionRow[]> {
    const rows = await this.db
      .selectFrom("workflow_definitions as d")
      .selectAll("d")
      .where("d.tenant_id", "=", tenantId)
      .where((eb) =>
        eb(
          "d.version",
          "=",
          eb
            .selectFrom("workflow_definitions as v")
            .select((v) => v.fn.max("v.version").as("latest"))
            .whereRef("v.tenant_id", "=", "d.tenant_id")
            .whereRef("v.id", "=", "d.id"),
        ),
      )
      .orderBy("d.name")
      .limit(limit)
      .execute();
    return rows;
  }

  /** Inserts a definition version; the (tenant, id, version) and (tenant, name, version) keys refuse a duplicate. */
  async insertDefinition(row: Insertable<WorkflowDefinitionTable>): Promise<boolean> {
    const result = await this.db
      .insertInto("workflow_definitions")
      .values(row)
      .onConflict((conflict) => conflict.columns(["tenant_id", "name", "version"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** The execution row and all its steps in one transaction: an execution never exists half-written. */
  async insertExecution(
    execution: Insertable<WorkflowExecutionTable>,
    steps: Insertable<WorkflowStepTable>[],
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("workflow_executions").values(execution).execute();
      for (let i = 0; i < steps.length; i += 50)
        await trx
          .insertInto("workflow_steps")
          .values(steps.slice(i, i + 50))
          .execute();
    });
  }

  findExecution(scope: Scope, id: string): Promise<WorkflowExecutionRow | undefined> {
    return this.findExecutionInTenant(scope.tenantId, id);
  }

  findExecutionInTenant(tenantId: string, id: string): Promise<WorkflowExecutionRow | undefined> {
    return this.db
      .selectFrom("workflow_executions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  steps(tenantId: string, executionId: string): Promise<WorkflowStepRow[]> {
    return this.db
      .selectFrom("workflow_steps")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("execution_id", "=", executionId)
      .orderBy("position")
      .execute();
  }

  /** Newest first. */
  listExecutions(
    tenantId: string,
    filter: { workflowId?: string | undefined; status?: string | undefined },
    limit: number,
    before: PageCursor | undefined,
  ): Promise<WorkflowExecutionRow[]> {
    let query = this.db.selectFrom("workflow_executions").selectAll().where("tenant_id", "=", tenantId);
    if (filter.workflowId) {
      const id = filter.workflowId;
      query = query.where((eb) => eb.or([eb("workflow_id", "=", id), eb("workflow_name", "=", id)]));
    }
    if (filter.status) query = query.where("status", "=", filter.status);
    if (before)
      query = query.where((eb) =>
        eb.or([
          eb("created_at", "<", before.createdAt),
          eb.and([eb("created_at", "=", before.createdAt), eb("id", "<", before.id)]),
        ]),
      );
    return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  }

  /** Moves an execution from one of `from`; false when it was in none of them any more. */
  async transition(
    tenantId: string,
    id: string,
    from: readonly WorkflowExecutionStatus[],
    changes: ExecutionChanges,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("workflow_executions")
      .set(changes)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .where("status", "in", [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Moves a step from one of `from`; false when it had moved on already (the claim was lost). */
  async moveStep(
    tenantId: string,
    executionId: string,
    stepId: string,
    from: readonly string[],
    changes: StepChanges,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("workflow_steps")
      .set(changes)
      .where("tenant_id", "=", tenantId)
      .where("execution_id", "=", executionId)
      .where("step_id", "=", stepId)
      .where("status", "in", [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Executions to resume: at start-up this node's own unfinished ones, and at any time those whose
   * node let the lease run out. Taking one over is a conditional update, so only one node wins it.
   */
  async resumable(filter: { owner: string } | { leaseBefore: string }): Promise<WorkflowExecutionRow[]> {
    // Executions waiting for a human have no driver to resume: a decision starts one.
    let query = this.db.selectFrom("workflow_executions").selectAll().where("status", "=", "running");
    query =
      "owner" in filter
        ? query.where("owner", "=", filter.owner)
        : query.where("lease_until", "<", filter.leaseBefore);
    return query.execute();
  }

  async claim(row: WorkflowExecutionRow, owner: string, until: string): Promise<boolean> {
    const result = await this.db
      .updateTable("workflow_executions")
      .set({ owner, lease_until: until })
      .where("tenant_id", "=", row.tenant_id)
      .where("id", "=", row.id)
      .where("owner", "=", row.owner)
      .where("lease_until", "=", row.lease_until)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async renewLeases(owner: string, ids: readonly string[], until: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 200) {
      await this.db
        .updateTable("workflow_executions")
        .set({ lease_until: until })
        .where("owner", "=", owner)
        .where("id", "in", ids.slice(i, i + 200))
        .where("status", "in", UNFINISHED_EXECUTION)
        .execute();
    }
  }
}
