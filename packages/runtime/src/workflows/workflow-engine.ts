import type {
  WorkflowExecutionStatus,
  WorkflowSpec,
  WorkflowStep,
  WorkflowStepStatus,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { Scope } from "../identity/scope.js";
import type { RunEvents } from "../runs/run-events.js";
import { restoreScope, type StoredScope } from "../runs/run-state.js";
import { runMapItems, type StepProgress } from "./map-step.js";
import { ApprovalNeeded, type CallContext, type StepCalls, StepFailure } from "./step-calls.js";
import { evaluateSource, renderValue, TemplateError, type TemplateScope, truthy } from "./template.js";
import { checkWorkflow, type WorkflowGraph } from "./workflow-graph.js";
import type {
  StepChanges,
  WorkflowExecutionRow,
  WorkflowRepository,
  WorkflowStepRow,
} from "./workflow-repository.js";

export interface WorkflowEngineDependencies {
  repository: WorkflowRepository;
  calls: StepCalls;
  events: RunEvents;
  config: () => Config;
  log: Logger;
  /** This node's id: executions it drives carry it, with a lease it keeps renewing. */
  nodeId: string;
  isSecretReference: (text: string) => boolean;
  now?: () => Date;
}

/** Why a driver stops before its execution ends: cancelled (for good) or shutdown (resumed at the next start). */
export type StopReason = "cancelled" | "shutdown";

interface ActiveExecution {
  controller: AbortController;
  done: Promise<void>;
  wake: () => void;
}

const TERMINAL_STEP = new Set(["succeeded", "failed", "skipped", "cancelled"]);

const parse = <T>(text: string | null, fallback: T): T =>
  text === null ? fallback : (JSON.parse(text) as T);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Drives workflow executions: starts every step whose dependencies are done (independent steps run
 * in parallel), writes each step's state before moving on, and parks at approval steps. State lives
 * in the database only, so a restarted node (or another one, once the lease ran out) resumes an
 * execution where it stopped and never starts again a step that finished.
 */
export class WorkflowEngine {
  private readonly active = new Map<string, ActiveExecution>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;
  private readonly stopping = new AbortController();
  private readonly now: () => Date;

  constructor(private readonly deps: WorkflowEngineDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  private get leaseMs(): number {
    return this.deps.config().runLeaseSeconds * 1000;
  }

  ownership(): { owner: string; lease_until: string } {
    return { owner: this.deps.nodeId, lease_until: this.leaseUntil() };
  }

  private leaseUntil(): string {
    return new Date(this.now().getTime() + this.leaseMs).toISOString();
  }

  /** At start: resumes what this node left running, then keeps leases fresh and adopts orphans. */
  async open(): Promise<number> {
    const own = await this.deps.repository.resumable({ owner: this.deps.nodeId });
    const orphans = await this.deps.repository.resumable({ leaseBefore: this.now().toISOString() });
    let resumed = 0;
    for (const row of [...own, ...orphans.filter((o) => o.owner !== this.deps.nodeId)]) {
      if (await this.adopt(row)) resumed++;
    }
    const renew = setInterval(() => {
      const ids = [...this.active.keys()].map((key) => key.slice(key.indexOf("\u0000") + 1));
      this.deps.repository.renewLeases(this.deps.nodeId, ids, this.leaseUntil()).catch((error: unknown) => {
        this.deps.log.warn({ err: (error as Error).message }, "could not renew workflow leases");
      });
    }, this.leaseMs / 3);
    const sweep = setInterval(() => {
      this.deps.repository
        .resumable({ leaseBefore: this.now().toISOString() })
        .then(async (rows) => {
          for (const row of rows) if (!this.isActive(row.tenant_id, row.id)) await this.adopt(row);
        })
        .catch((error: unknown) => {
          this.deps.log.warn({ err: (error as Error).message }, "could not sweep abandoned workflows");
        });
    }, this.leaseMs / 2);
    renew.unref();
    sweep.unref();
    this.timers.push(renew, sweep);
    return resumed;
  }

  private async adopt(row: WorkflowExecutionRow): Promise<boolean> {
    if (!(await this.deps.repository.claim(row, this.deps.nodeId, this.leaseUntil()))) return false;
    this.start(row.tenant_id, row.id);
    return true;
  }

  isActive(tenantId: string, executionId: string): boolean {
    return this.active.has(`${tenantId}\u0000${executionId}`);
  }

  /** Starts driving an execution, or wakes its driver if one runs here (a decision came in). */
  start(tenantId: string, executionId: string): void {
    const key = `${tenantId}\u0000${executionId}`;
    const running = this.active.get(key);
    if (running) {
      running.wake();
      // The driver may be on its way out already (it parked a moment ago): if the execution is
      // running once it is gone, a new driver takes over.
      void running.done
        .then(async () => {
          if (this.closing || this.active.has(key)) return;
          const row = await this.deps.repository.findExecutionInTenant(tenantId, executionId);
          if (row?.status === "running") this.start(tenantId, executionId);
        })
        .catch((error: unknown) => {
          this.deps.log.warn(
            { err: (error as Error).message, executionId },
            "could not hand a workflow to a new driver",
          );
        });
      return;
    }
    const controller = new AbortController();
    const entry: ActiveExecution = { controller, done: Promise.resolve(), wake: () => {} };
    this.active.set(key, entry);
    entry.done = this.drive(tenantId, executionId, controller.signal, entry)
      .catch((error: unknown) => {
        this.deps.log.error({ err: (error as Error).message, executionId }, "workflow driver fault");
      })
      .finally(() => {
        if (this.active.get(key) === entry) this.active.delete(key);
      });
  }

  /** Stops the driver of an execution in this process; resolves once it has written its state. */
  async stop(tenantId: string, executionId: string, reason: StopReason): Promise<boolean> {
    const entry = this.active.get(`${tenantId}\u0000${executionId}`);
    if (!entry) return false;
    entry.controller.abort(reason);
    await entry.done;
    return true;
  }

  /** At shutdown: drivers stop where they are; their executions stay running and resume at the next start. */
  /** Aborted when the runtime shuts down: callers waiting on an execution answer then. */
  get shuttingDown(): AbortSignal {
    return this.stopping.signal;
  }

  async shutdown(): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    for (const timer of this.timers) clearInterval(timer);
    const entries = [...this.active.values()];
    for (const entry of entries) entry.controller.abort("shutdown");
    await Promise.all(entries.map((entry) => entry.done));
  }

  private emitStatus(row: WorkflowExecutionRow, status: WorkflowExecutionStatus, at: string): void {
    this.deps.events.emit({
      type: "workflow.status",
      tenantId: row.tenant_id,
      executionId: row.id,
      workflowId: row.workflow_id,
      status,
      at,
    });
  }

  private async drive(
    tenantId: string,
    executionId: string,
    signal: AbortSignal,
    entry: ActiveExecution,
  ): Promise<void> {
    const row = await this.deps.repository.findExecutionInTenant(tenantId, executionId);
    if (row?.status !== "running") return;
    const spec = JSON.parse(row.spec) as WorkflowSpec;
    const { graph } = checkWorkflow(spec);
    const steps = new Map(spec.steps.map((step) => [step.id, step]));
    const scope = restoreScope(JSON.parse(row.scope) as StoredScope);
    const params = JSON.parse(row.parameters) as Record<string, unknown>;
    // Steps stop on a failure elsewhere or a cancel; the driver itself only on cancel or shutdown.
    const stepsController = new AbortController();
    signal.addEventListener("abort", () => stepsController.abort(signal.reason), { once: true });
    const inFlight = new Map<string, Promise<void>>();
    for (;;) {
      const woken = new Promise<void>((resolve) => {
        entry.wake = resolve;
      });
      const current = await this.deps.repository.findExecutionInTenant(tenantId, executionId);
      if (current?.status !== "running") stepsController.abort("cancelled");
      const rows = await this.deps.repository.steps(tenantId, executionId);
      const byId = new Map(rows.map((r) => [r.step_id, r]));
      const failed = rows.find((r) => r.status === "failed");
      if (failed && !stepsController.signal.aborted) stepsController.abort("cancelled");
      if (stepsController.signal.aborted) {
        await Promise.allSettled(inFlight.values());
        if (signal.aborted && signal.reason === "shutdown") return;
        await this.finish(row, byId, failed, spec, params);
        return;
      }
      await this.skipUnreachable(row, rows, byId, graph);
      const templates = this.templatesOf(params, byId);
      for (const stepRow of rows) {
        if (inFlight.has(stepRow.step_id)) continue;
        const step = steps.get(stepRow.step_id) as WorkflowStep;
        const ready =
          stepRow.status === "running" ||
          stepRow.status === "retrying" ||
          (stepRow.status === "pending" &&
            [...(graph.dependencies.get(step.id) ?? [])].every((dep) => {
              const status = byId.get(dep)?.status;
              return status === "succeeded" || status === "skipped";
            }));
        if (!ready) continue;
        const context = { row, step, scope, templates, signal: stepsController.signal };
        inFlight.set(
          step.id,
          this.runStep(stepRow, context).finally(() => inFlight.delete(step.id)),
        );
      }
      if (inFlight.size === 0) {
        if (rows.every((r) => TERMINAL_STEP.has(r.status))) {
          await this.finish(row, byId, undefined, spec, params);
          return;
        }
        const waiting = rows.find((r) => r.status === "awaiting_approval");
        if (waiting) {
          if (await this.park(row, waiting)) return;
          // A decision landed while parking: carry on driving.
          continue;
        }
        // Pending steps whose dependencies can no longer finish: the execution cannot go on.
        const stuck = rows.find((r) => r.status === "pending") as WorkflowStepRow;
        await this.finish(
          row,
          byId,
          { ...stuck, error: `step "${stuck.step_id}" can never run` },
          spec,
          params,
        );
        return;
      }
      await Promise.race([...inFlight.values(), woken]);
    }
  }

  /** Steps in a branch arm not taken are skipped, and so are steps all of whose dependencies were. */
  private async skipUnreachable(
    row: WorkflowExecutionRow,
    rows: WorkflowStepRow[],
    byId: Map<string, WorkflowStepRow>,
    graph: WorkflowGraph,
  ): Promise<void> {
    let changed = true;
    while (changed) {
      changed = false;
      for (const stepRow of rows) {
        if (stepRow.status !== "pending") continue;
        const arm = graph.arms.get(stepRow.step_id);
        const branch = arm ? byId.get(arm.branch) : undefined;
        const armNotTaken =
          branch?.status === "skipped" ||
          (branch?.status === "succeeded" && parse<{ taken?: string }>(branch.output, {}).taken !== arm?.arm);
        const deps = [...(graph.dependencies.get(stepRow.step_id) ?? [])];
        const allSkipped = deps.length > 0 && deps.every((dep) => byId.get(dep)?.status === "skipped");
        if (!armNotTaken && !allSkipped) continue;
        const at = this.now().toISOString();
        if (await this.move(row, stepRow, ["pending"], { status: "skipped", finished_at: at })) {
          stepRow.status = "skipped";
          stepRow.finished_at = at;
          changed = true;
        }
      }
    }
  }

  private templatesOf(params: Record<string, unknown>, byId: Map<string, WorkflowStepRow>): TemplateScope {
    const steps: TemplateScope["steps"] = {};
    for (const [id, stepRow] of byId) {
      if (stepRow.status === "succeeded")
        steps[id] = { output: parse(stepRow.output, null), status: "succeeded" };
      else if (stepRow.status === "skipped") steps[id] = { output: null, status: "skipped" };
    }
    return { params, steps, isSecretReference: this.deps.isSecretReference };
  }

  /** Writes a step's change (only from the statuses it is known to be in) and announces it. */
  private async move(
    row: WorkflowExecutionRow,
    stepRow: WorkflowStepRow,
    from: readonly string[],
    changes: StepChanges & { status?: WorkflowStepStatus },
  ): Promise<boolean> {
    const moved = await this.deps.repository.moveStep(row.tenant_id, row.id, stepRow.step_id, from, changes);
    if (moved && changes.status) {
      this.deps.events.emit({
        type: "workflow.step",
        tenantId: row.tenant_id,
        executionId: row.id,
        workflowId: row.workflow_id,
        stepId: stepRow.step_id,
        stepType: stepRow.type,
        status: changes.status,
        attempt: changes.attempts ?? stepRow.attempts,
        error: changes.error ?? null,
        at: this.now().toISOString(),
      });
    }
    return moved;
  }

  /** One step, attempt after attempt, its state written after each. */
  private async runStep(
    initial: WorkflowStepRow,
    context: {
      row: WorkflowExecutionRow;
      step: WorkflowStep;
      scope: Scope;
      templates: TemplateScope;
      signal: AbortSignal;
    },
  ): Promise<void> {
    const { row, step, signal } = context;
    const progress = parse<StepProgress>(initial.progress, {});
    const runIds = parse<string[]>(initial.run_ids, []);
    // An attempt cut short by a stop is picked up (its agent run, if it finished, is not redone).
    const resuming = initial.status === "running";
    if (initial.status === "retrying" && progress.retry_at) {
      const wait = Date.parse(progress.retry_at) - this.now().getTime();
      if (wait > 0) await sleep(wait, signal).catch(() => {});
      if (signal.aborted) return;
    }
    let attempts = resuming ? Math.max(1, initial.attempts) : initial.attempts + 1;
    const stepRow = { ...initial };
    const claimed = await this.move(row, stepRow, [initial.status], {
      status: "running",
      attempts,
      error: null,
      started_at: initial.started_at ?? this.now().toISOString(),
    });
    if (!claimed) return;
    stepRow.status = "running";
    let resumeRunId = resuming ? runIds.at(-1) : undefined;
    const saveProgress = async () => {
      await this.deps.repository.moveStep(row.tenant_id, row.id, step.id, ["running"], {
        progress: JSON.stringify(progress),
        run_ids: JSON.stringify(runIds),
      });
    };
    for (;;) {
      const call: CallContext = {
        executionId: row.id,
        stepId: step.id,
        scope: context.scope,
        defaultAgentId: row.agent_id,
        signal,
        templates: context.templates,
        resumeRunId,
        approved: progress.approved === true,
        onRunStarted: async (runId) => {
          runIds.push(runId);
          await saveProgress();
        },
      };
      try {
        const output = await this.body(step, call, progress, runIds, saveProgress);
        await this.move(row, stepRow, ["running"], {
          status: "succeeded",
          output: JSON.stringify(output ?? null),
          run_ids: JSON.stringify(runIds),
          progress: JSON.stringify(progress),
          error: null,
          finished_at: this.now().toISOString(),
        });
        return;
      } catch (error) {
        if (signal.aborted) {
          if (signal.reason === "shutdown") return;
          await this.move(row, stepRow, ["running", "retrying"], {
            status: "cancelled",
            run_ids: JSON.stringify(runIds),
            finished_at: this.now().toISOString(),
          });
          return;
        }
        if (error instanceof ApprovalNeeded) {
          progress.approval_message = error.message;
          progress.requested_at = this.now().toISOString();
          await this.move(row, stepRow, ["running"], {
            status: "awaiting_approval",
            progress: JSON.stringify(progress),
            run_ids: JSON.stringify(runIds),
          });
          return;
        }
        const failure = this.failureOf(error, step.id);
        const retry = step.retry;
        if (failure.retryable && retry && attempts < retry.max_attempts) {
          const delay = Math.min(3_600_000, retry.backoff_ms * retry.backoff_multiplier ** (attempts - 1));
          progress.retry_at = new Date(this.now().getTime() + delay).toISOString();
          await this.move(row, stepRow, ["running"], {
            status: "retrying",
            error: failure.message,
            progress: JSON.stringify(progress),
            run_ids: JSON.stringify(runIds),
          });
          stepRow.status = "retrying";
          try {
            await sleep(delay, signal);
          } catch {
            if (signal.reason === "shutdown") return;
            await this.move(row, stepRow, ["retrying"], {
              status: "cancelled",
              finished_at: this.now().toISOString(),
            });
            return;
          }
          attempts += 1;
          delete progress.retry_at;
          await this.move(row, stepRow, ["retrying"], {
            status: "running",
            attempts,
            error: null,
            progress: JSON.stringify(progress),
          });
          stepRow.status = "running";
          resumeRunId = undefined;
          continue;
        }
        await this.move(row, stepRow, ["running"], {
          status: "failed",
          error: failure.message,
          run_ids: JSON.stringify(runIds),
          progress: JSON.stringify(progress),
          finished_at: this.now().toISOString(),
        });
        return;
      }
    }
  }

  private failureOf(error: unknown, stepId: string): StepFailure {
    if (error instanceof StepFailure)
      return new StepFailure(`step "${stepId}": ${error.message}`, error.retryable);
    if (error instanceof TemplateError) return new StepFailure(`step "${stepId}": ${error.message}`, false);
    this.deps.log.error(
      { err: (error as Error).message, stepId },
      "workflow step failed on an unexpected error",
    );
    return new StepFailure(`step "${stepId}": internal error: ${(error as Error).message}`, false);
  }

  private async body(
    step: WorkflowStep,
    call: CallContext,
    progress: StepProgress,
    runIds: string[],
    saveProgress: () => Promise<void>,
  ): Promise<unknown> {
    switch (step.type) {
      case "agent":
        return this.deps.calls.agent(step, call);
      case "tool":
        return this.deps.calls.tool(step, call);
      case "disagreement":
        return this.deps.calls.disagreement(step.texts, call);
      case "branch": {
        const value = evaluateSource(step.condition, call.templates);
        return { taken: truthy(value) ? "when_true" : "when_false", value: value ?? null };
      }
      case "approval": {
        const message = await renderValue(step.message, call.templates, async (p) => {
          throw new TemplateError(`${p.reference} is a secret reference; messages never show secrets`);
        });
        throw new ApprovalNeeded(typeof message === "string" ? message : JSON.stringify(message));
      }
      case "map":
        return runMapItems(this.deps.calls, step, call, progress, runIds, saveProgress);
    }
  }

  /**
   * Waits for a human: the driver ends; a decision starts it again. False when the decision came in
   * while parking (it found the execution still running and could not start a driver): then the
   * execution is running again and this driver goes on.
   */
  private async park(row: WorkflowExecutionRow, waiting: WorkflowStepRow): Promise<boolean> {
    const progress = parse<StepProgress>(waiting.progress, {});
    const at = this.now().toISOString();
    const parked = await this.deps.repository.transition(row.tenant_id, row.id, ["running"], {
      status: "awaiting_approval",
      pending_approval: JSON.stringify({
        step_id: waiting.step_id,
        message: progress.approval_message ?? "",
        requested_at: progress.requested_at ?? at,
      }),
      updated_at: at,
    });
    if (!parked) return true;
    this.emitStatus(row, "awaiting_approval", at);
    const still = await this.deps.repository.steps(row.tenant_id, row.id);
    if (still.some((step) => step.status === "awaiting_approval")) return true;
    const unparked = await this.deps.repository.transition(row.tenant_id, row.id, ["awaiting_approval"], {
      status: "running",
      pending_approval: null,
      updated_at: this.now().toISOString(),
    });
    if (unparked) {
      this.emitStatus(row, "running", this.now().toISOString());
      return false;
    }
    // The decision moved it to running itself, and found this driver still registered: it stays.
    const current = await this.deps.repository.findExecutionInTenant(row.tenant_id, row.id);
    return current?.status !== "running";
  }

  private async finish(
    row: WorkflowExecutionRow,
    byId: Map<string, WorkflowStepRow>,
    failed: WorkflowStepRow | undefined,
    spec: WorkflowSpec,
    params: Record<string, unknown>,
  ): Promise<void> {
    const at = this.now().toISOString();
    // Steps that never ran end with the execution.
    for (const stepRow of byId.values())
      if (stepRow.status === "pending" || stepRow.status === "awaiting_approval")
        await this.move(row, stepRow, [stepRow.status], { status: "cancelled", finished_at: at });
    const current = await this.deps.repository.findExecutionInTenant(row.tenant_id, row.id);
    if (current?.status !== "running") return;
    let status: WorkflowExecutionStatus = failed ? "failed" : "succeeded";
    let error = failed ? (failed.error ?? `step "${failed.step_id}" failed`) : null;
    let result: Record<string, unknown> | null = null;
    if (!failed) {
      try {
        result = await this.resultOf(spec, params, byId);
      } catch (problem) {
        status = "failed";
        error = `output: ${(problem as Error).message}`;
      }
    }
    const finished = await this.deps.repository.transition(row.tenant_id, row.id, ["running"], {
      status,
      error,
      result: result === null ? null : JSON.stringify(result),
      pending_approval: null,
      updated_at: at,
      finished_at: at,
    });
    if (finished) this.emitStatus(row, status, at);
  }

  private async resultOf(
    spec: WorkflowSpec,
    params: Record<string, unknown>,
    byId: Map<string, WorkflowStepRow>,
  ): Promise<Record<string, unknown>> {
    const templates = this.templatesOf(params, byId);
    if (spec.output === undefined) {
      return Object.fromEntries(Object.entries(templates.steps).map(([id, step]) => [id, step.output]));
    }
    // References stay references in the stored result.
    const value = await renderValue(spec.output, templates, async (p) => p.reference);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { output: value };
  }
}
