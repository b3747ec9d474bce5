import { FINISHED_RUN_STATUSES, type RunStatus } from "@symbiont/protocol";
import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import type { Database, RunStepTable, RunTable } from "../store/schema.js";

export type RunRow = Selectable<RunTable>;
export type RunStepRow = Selectable<RunStepTable>;
export type RunChanges = Omit<Updateable<RunTable>, "tenant_id" | "id" | "agent_id" | "created_at">;

export interface RunCursor {
  createdAt: string;
  id: string;
}

const UNFINISHED: RunStatus[] = ["queued", "running", "awaiting_approval"];

/** Runs and their steps. Reads by a caller take its Scope; the run loop itself works by tenant id. */
/** A run a sweep ended: enough to tell its subscribers. */
export interface SweptRun {
  tenant_id: string;
  agent_id: string;
  id: string;
}

export class RunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: Insertable<RunTable>): Promise<void> {
    await this.db.insertInto("runs").values(row).execute();
  }

  find(scope: Scope, id: string): Promise<RunRow | undefined> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("id", "=", id)
      .executeTakeFirst()
      .then((row) => (row && scopeReachesAgent(scope, row.agent_id) ? row : undefined));
  }

  findInTenant(tenantId: string, id: string): Promise<RunRow | undefined> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** Newest first. */
  listByAgent(
    scope: Scope,
    agentId: string,
    limit: number,
    before: RunCursor | undefined,
    status: RunStatus | undefined,
  ): Promise<RunRow[]> {
    if (!scopeReachesAgent(scope, agentId)) return Promise.resolve([]);
    let query = this.db
      .selectFrom("runs")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("agent_id", "=", agentId);
    if (status) query = query.where("status", "=", status);
    if (before) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", "<", before.createdAt),
          eb.and([eb("created_at", "=", before.createdAt), eb("id", "<", before.id)]),
        ]),
      );
    }
    return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  }

  listAwaitingApproval(scope: Scope, limit: number): Promise<RunRow[]> {
    let query = this.db
      .selectFrom("runs")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("status", "=", "awaiting_approval");
    if (scope.agentIds !== null) query = query.where("agent_id", "in", [...scope.agentIds, ""]);
    return query.orderBy("updated_at").orderBy("id").limit(limit).execute();
  }

  steps(tenantId: string, runId: string): Promise<RunStepRow[]> {
    return this.db
      .selectFrom("run_steps")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("run_id", "=", runId)
      .orderBy("seq")
      .execute();
  }

  /**
   * Writes a step and the run's new counters and state together, so the trace and the state the
   * loop resumes from never disagree. The (run, seq) key refuses a step written twice.
   */
  async appendStep(step: Insertable<RunStepTable>, changes: RunChanges): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("run_steps").values(step).execute();
      await trx
        .updateTable("runs")
        .set(changes)
        .where("tenant_id", "=", step.tenant_id)
        .where("id", "=", step.run_id)
        .execute();
    });
  }

  /** Moves a run from one of `from` to a new status; false when it was no longer in one of them. */
  async transition(
    tenantId: string,
    id: string,
    from: readonly RunStatus[],
    changes: RunChanges & { status: RunStatus },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set(changes)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .where("status", "in", [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Runs a node was driving when it stopped cannot be continued mid-call, so they fail as
   * interrupted: at start-up those of this node (the same data dir), and at any time those whose
   * node let the lease run out. Runs waiting for a human keep waiting: their state is on disk.
   */
  async failInterrupted(
    at: string,
    filter: { owner: string } | { leaseBefore: string },
  ): Promise<SweptRun[]> {
    let query = this.db
      .updateTable("runs")
      .set({
        status: "failed",
        error: "interrupted: the runtime stopped while this run was in progress",
        updated_at: at,
        finished_at: at,
      })
      .where("status", "in", ["queued", "running"]);
    query =
      "owner" in filter
        ? query.where("owner", "=", filter.owner)
        : query.where("lease_until", "<", filter.leaseBefore);
    return query.returning(["tenant_id", "agent_id", "id"]).execute();
  }

  /** Runs still waiting for a human when their wall time ran out end as timed out. */
  async timeOutWaiting(at: string): Promise<SweptRun[]> {
    return this.db
      .updateTable("runs")
      .set({
        status: "timed_out",
        error: "wall-time limit reached while waiting for approval",
        pending_approval: null,
        updated_at: at,
        finished_at: at,
      })
      .where("status", "=", "awaiting_approval")
      .where("deadline_at", "<", at)
      .returning(["tenant_id", "agent_id", "id"])
      .execute();
  }

  /** Takes over a run (a resumed one) and vouches for it until `until`. */
  async claim(tenantId: string, id: string, owner: string, until: string): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({ owner, lease_until: until })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute();
  }

  /** Extends the leases of the runs this node is driving now (ids only of its own, live drivers). */
  async renewLeases(owner: string, ids: readonly string[], until: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable("runs")
      .set({ lease_until: until })
      .where("owner", "=", owner)
      .where("id", "in", [...ids])
      .where("status", "in", ["queued", "running"])
      .execute();
  }

  /** An agent's runs not yet ended (queued, running, waiting for a human), on every node. */
  async countUnfinished(tenantId: string, agentId: string): Promise<number> {
    const row = await this.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<number | string>().as("count"))
      .where("tenant_id", "=", tenantId)
      .where("agent_id", "=", agentId)
      .where("status", "in", UNFINISHED)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Counts the finished run on its agent, for the agent's status and metrics. */
  async countOnAgent(tenantId: string, agentId: string, succeeded: boolean, durationMs: number, at: string) {
    await this.db
      .updateTable("agents")
      .set((eb) => ({
        tasks_completed: succeeded ? eb("tasks_completed", "+", 1) : eb.ref("tasks_completed"),
        tasks_failed: succeeded ? eb.ref("tasks_failed") : eb("tasks_failed", "+", 1),
        total_response_ms: eb("total_response_ms", "+", Math.round(durationMs)),
        last_activity_at: at,
      }))
      .where("tenant_id", "=", tenantId)
      .where("id", "=", agentId)
      .execute();
  }
}

export const isFinished = (status: string) => (FINISHED_RUN_STATUSES as readonly string[]).includes(status);
export { UNFINISHED };
