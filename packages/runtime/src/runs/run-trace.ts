import type { RunStep, StepKind } from "@symbiont/protocol";
import type { RunEvents } from "./run-events.js";
import type { RunRepository, RunRow } from "./run-repository.js";
import type { LoopState } from "./run-state.js";

/** The run's persisted side: numbered steps, token counters, and the state written with each step. */
export class RunTrace {
  private seq: number;
  private inputTokens: number;
  private outputTokens: number;

  constructor(
    private readonly deps: { runs: RunRepository; events: RunEvents; now?: (() => Date) | undefined },
    readonly row: RunRow,
    readonly state: LoopState,
  ) {
    this.seq = row.steps_count;
    this.inputTokens = row.input_tokens;
    this.outputTokens = row.output_tokens;
  }

  tokens(): number {
    return this.inputTokens + this.outputTokens;
  }

  addTokens(input: number, output: number): void {
    this.inputTokens += input;
    this.outputTokens += output;
  }

  async step(kind: StepKind, durationMs: number, data: Record<string, unknown>): Promise<void> {
    this.seq += 1;
    const at = (this.deps.now ?? (() => new Date()))().toISOString();
    const duration = Math.round(durationMs * 1000) / 1000;
    await this.deps.runs.appendStep(
      {
        tenant_id: this.row.tenant_id,
        run_id: this.row.id,
        seq: this.seq,
        kind,
        at,
        duration_ms: duration,
        data: JSON.stringify(data),
      },
      {
        steps_count: this.seq,
        input_tokens: this.inputTokens,
        output_tokens: this.outputTokens,
        state: JSON.stringify(this.state),
        updated_at: at,
      },
    );
    const step: RunStep = { seq: this.seq, kind, at, duration_ms: duration, data };
    this.deps.events.emit({
      type: "run.step",
      tenantId: this.row.tenant_id,
      agentId: this.row.agent_id,
      runId: this.row.id,
      step,
    });
  }
}

/** A tool call that overruns its time, or outlives its run, is abandoned and reported as failed. */
export function withTimeout<T>(work: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    const onAbort = () => reject(new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}
