import type { Run, RunEvent, RunSummary } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

function positive(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new CliError(
      `${flag} must be a whole number of at least 1, not ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  return Number(value);
}

const short = (value: unknown, max = 160) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** One line per step, as it happens. */
export function describeEvent(event: RunEvent): string | undefined {
  if (event.type === "approval.requested")
    return `? approval needed for ${event.tool} ${short(event.arguments)}: symbiont approvals approve ${event.run_id} (or deny)`;
  if (event.type === "run.status") return `· ${event.status}`;
  if (event.type === "review.transition")
    return `review ${event.review_id} (${event.tool_name}): ${event.from ?? "-"} → ${event.to}`;
  if (event.type === "deployment.event")
    return `deployment ${event.deployment_id} ${event.kind === "status" ? event.status : event.kind}: ${event.detail}`;
  if (event.type === "workflow.status") return `· workflow ${event.status}`;
  if (event.type === "workflow.step")
    return `step ${event.step_id} (${event.step_type}) ${event.status}${event.error ? `: ${short(event.error)}` : ""}`;
  const { kind, data, duration_ms: ms } = event.step;
  const took = `${Math.round(ms)} ms`;
  if (kind === "model_call") {
    const calls = (data.tool_calls as { name: string }[] | undefined) ?? [];
    const asked = calls.length > 0 ? ` → ${calls.map((c) => c.name).join(", ")}` : "";
    return `model ${String(data.model)} (${data.input_tokens}+${data.output_tokens} tokens, ${took})${asked}${data.text ? `: ${short(data.text)}` : ""}`;
  }
  if (kind === "gate") return `gate ${String(data.tool)}: ${String(data.decision)}`;
  if (kind === "approval")
    return `approval ${String(data.tool)}: ${String(data.decision)} by ${String((data.decided_by as { name?: string })?.name ?? "?")}`;
  return `tool ${String(data.tool)} (${took})${data.is_error ? " failed" : ""}: ${short(data.result)}`;
}

const runTable = (runs: RunSummary[]) =>
  table(
    ["ID", "AGENT", "STATUS", "STEPS", "TOKENS", "CREATED"],
    runs.map((r) => [
      r.id,
      r.agent_id,
      r.status,
      String(r.steps_count),
      String(r.input_tokens + r.output_tokens),
      r.created_at,
    ]),
    40,
  );

function exitFor(run: Run): void {
  if (run.status === "succeeded") return;
  if (run.status === "awaiting_approval") return;
  throw new CliError(`Run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}`, ExitCode.failure);
}

export function registerRunCommands(program: Command): void {
  program
    .command("run <agent> <input>")
    .description("Run an agent on an input, showing each step as it happens")
    .option("--detach", "start the run and print its id without waiting")
    .option("--max-steps <n>", "stop after this many model calls")
    .option("--max-tokens <n>", "stop after this many tokens")
    .option("--timeout <seconds>", "wall-time limit of the run")
    .addHelpText(
      "after",
      `
Examples:
  symbiont run helper "What time is it in Tokyo?"
  symbiont run helper "Deploy the fix" --max-steps 5
  symbiont run helper "Summarise the logs" --detach && symbiont runs get <run-id>`,
    )
    .action(
      async (
        agent: string,
        input: string,
        flags: { detach?: boolean; maxSteps?: string; maxTokens?: string; timeout?: string },
        command: Command,
      ) => {
        const options = globals(command);
        const out = createOutput(Boolean(options.json));
        const client = clientFrom(options);
        const limits = {
          ...(flags.maxSteps ? { max_steps: positive("--max-steps", flags.maxSteps) } : {}),
          ...(flags.maxTokens ? { max_tokens: positive("--max-tokens", flags.maxTokens) } : {}),
          ...(flags.timeout ? { timeout_seconds: positive("--timeout", flags.timeout) } : {}),
        };
        const started = await client.runs.execute(agent, input, { wait: false, limits });
        if (flags.detach) {
          out.result(started, () => `Started run ${started.id} of ${agent}`);
          return;
        }
        out.info(`run ${started.id}`);
        for await (const event of client.runs.stream(started.id)) {
          const line = describeEvent(event);
          if (line) out.info(line);
        }
        const run = await client.runs.get(started.id);
        out.result(run, () =>
          run.status === "succeeded" ? (run.output ?? "") : `${run.status}: ${run.error ?? ""}`,
        );
        exitFor(run);
      },
    );

  const runs = program.command("runs").description("Look at and cancel runs");
  runs
    .command("get <run-id>")
    .description("A run with its steps")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const run = await clientFrom(options).runs.get(id);
      createOutput(Boolean(options.json)).result(run, () =>
        [
          `${run.id}  ${run.agent_id}  ${run.status}`,
          ...run.steps.map((step) =>
            describeEvent({ type: "run.step", run_id: run.id, agent_id: run.agent_id, step }),
          ),
          run.output ?? run.error ?? "",
        ].join("\n"),
      );
    });
  runs
    .command("list <agent>")
    .description("An agent's runs, newest first")
    .option("--limit <n>", "how many", "20")
    .action(async (agent: string, flags: { limit: string }, command: Command) => {
      const options = globals(command);
      const page = await clientFrom(options).runs.listPage(agent, {
        limit: positive("--limit", flags.limit),
      });
      createOutput(Boolean(options.json)).result(page, () =>
        page.items.length ? runTable(page.items) : "No runs",
      );
    });
  runs
    .command("cancel <run-id>")
    .description("Cancel a run that has not finished")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const run = await clientFrom(options).runs.cancel(id);
      createOutput(Boolean(options.json)).result(run, () => `Run ${run.id} ${run.status}`);
    });

  const approvals = program.command("approvals").description("Tool calls waiting for a human decision");
  approvals
    .command("list")
    .description("Runs waiting for an approval, oldest first")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).runs.approvals();
      createOutput(Boolean(options.json)).result(list, () =>
        list.items.length
          ? table(
              ["RUN", "AGENT", "TOOL", "ARGUMENTS", "SINCE"],
              list.items.map((r) => [
                r.id,
                r.agent_id,
                r.pending_approval?.tool ?? "",
                short(r.pending_approval?.arguments ?? {}, 60),
                r.pending_approval?.requested_at ?? "",
              ]),
              60,
            )
          : "Nothing waits for approval",
      );
    });
  for (const decision of ["approve", "deny"] as const) {
    approvals
      .command(`${decision} <run-id>`)
      .description(
        decision === "approve" ? "Let the call run; the run resumes" : "Refuse the call; the model is told",
      )
      .option("--comment <text>", "why (kept in the run and the audit log)")
      .action(async (id: string, flags: { comment?: string }, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options);
        const run =
          decision === "approve"
            ? await client.runs.approve(id, flags.comment)
            : await client.runs.deny(id, flags.comment);
        createOutput(Boolean(options.json)).result(
          run,
          () => `${decision === "approve" ? "Approved" : "Denied"}; run ${run.id} resumes`,
        );
      });
  }
}
