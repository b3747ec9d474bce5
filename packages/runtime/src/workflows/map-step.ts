import type { WorkflowStep } from "@symbiont/protocol";
import { ApprovalNeeded, type CallContext, type StepCalls, StepFailure } from "./step-calls.js";
import { evaluateSource, TemplateError } from "./template.js";

/** Step progress kept across restarts: map items done, their runs, a granted approval, a retry's time. */
export interface StepProgress {
  items?: Record<string, unknown>;
  item_runs?: Record<string, string>;
  approved?: boolean;
  approval_message?: string;
  requested_at?: string;
  retry_at?: string;
}

const MAX_MAP_ITEMS = 1_000;

/** Each item once: finished items are written as they finish, so a retry or a restart skips them. */
export async function runMapItems(
  calls: StepCalls,
  step: Extract<WorkflowStep, { type: "map" }>,
  call: CallContext,
  progress: StepProgress,
  runIds: string[],
  saveProgress: () => Promise<void>,
): Promise<unknown[]> {
  const list = evaluateSource(step.over, call.templates);
  if (!Array.isArray(list)) throw new StepFailure(`over: ${step.over} does not give a list`, false);
  if (list.length > MAX_MAP_ITEMS)
    throw new StepFailure(`over: ${list.length} items; a map step takes at most ${MAX_MAP_ITEMS}`, false);
  progress.items ??= {};
  progress.item_runs ??= {};
  const items = progress.items;
  const itemRuns = progress.item_runs;
  // Progress writes of parallel items go one after another.
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(saveProgress);
    return saving;
  };
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < list.length && errors.length === 0 && !call.signal.aborted) {
      const index = next++;
      if (Object.hasOwn(items, String(index))) continue;
      const itemCall: CallContext = {
        ...call,
        templates: { ...call.templates, item: list[index], index },
        resumeRunId: itemRuns[String(index)],
        onRunStarted: async (runId) => {
          itemRuns[String(index)] = runId;
          runIds.push(runId);
          await save();
        },
      };
      try {
        items[String(index)] =
          step.call.type === "agent"
            ? await calls.agent(step.call, itemCall)
            : await calls.tool(step.call, itemCall);
        await save();
      } catch (error) {
        errors.push(
          error instanceof ApprovalNeeded
            ? new StepFailure(
                `item ${index}: ${error.message} needs approval; use a tool step for gated tools`,
                false,
              )
            : error instanceof StepFailure || error instanceof TemplateError
              ? new StepFailure(
                  `item ${index}: ${error.message}`,
                  error instanceof StepFailure && error.retryable,
                )
              : error,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(step.max_parallel, list.length)) }, worker));
  await saving;
  if (errors.length > 0) throw errors[0];
  return list.map((_, index) => items[String(index)] ?? null);
}
