import type { Schedule } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

const timingOf = (s: Schedule) => (s.cron !== null ? `cron "${s.cron}" ${s.timezone}` : `once at ${s.at}`);

const describe = (s: Schedule) =>
  [
    `${s.id}  ${s.name}  agent ${s.agent_id}  ${s.status}`,
    `  ${timingOf(s)}${s.one_shot && s.cron !== null ? " (first slot only)" : ""}; missed slots: ${s.missed}`,
    `  next: ${s.next_fire_at ?? "-"}   last fired: ${s.last_fired_at ?? "-"}`,
    ...(s.input !== null ? [`  input: ${s.input}`] : []),
    ...(s.origin !== null ? [`  from: ${s.origin} (registering that .symbi again replaces it)`] : []),
  ].join("\n");

const MISSED = ["run_latest", "skip"] as const;

function missedPolicy(value: string | undefined) {
  if (value === undefined) return undefined;
  if (!(MISSED as readonly string[]).includes(value))
    throw new CliError(`--missed takes ${MISSED.join(" or ")}, not "${value}"`, ExitCode.usage);
  return value as (typeof MISSED)[number];
}

export function registerScheduleCommands(program: Command): void {
  const schedules = program
    .command("schedules")
    .description("Run agents on a cron (in a time zone) or once at a time; see what each slot fired")
    .addHelpText(
      "after",
      `
A cron has 5 fields (minute hour day month weekday), 6 with seconds first, or is a macro like
@daily; it is read in --timezone (IANA name, default UTC), so "0 9 * * MON-FRI" Europe/Berlin fires
at 09:00 Berlin time across daylight-saving changes. Each slot fires at most once, even with several
runtime nodes on one database. Slots that fell due while the runtime was down: --missed run_latest
(default) runs the latest of them once; --missed skip runs none. Schedules in a registered .symbi
file (\`symbiont dsl register\`) are stored too and replaced when the file is registered again.

Examples:
  symbiont schedules create --name digest --agent helper --cron "0 9 * * MON-FRI" --timezone Europe/Berlin --input "Summarise yesterday"
  symbiont schedules create --name once --agent helper --at 2030-01-01T09:00:00Z
  symbiont schedules list
  symbiont schedules history <id>
  symbiont schedules pause <id>   # and: resume, delete`,
    );
  schedules
    .command("list")
    .option("--agent <id>", "only this agent's schedules")
    .action(async (flags: { agent?: string }, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).schedules.list(flags.agent);
      createOutput(Boolean(options.json)).result(list, () =>
        list.items.length
          ? table(
              ["ID", "NAME", "AGENT", "WHEN", "STATUS", "NEXT"],
              list.items.map((s) => [s.id, s.name, s.agent_id, timingOf(s), s.status, s.next_fire_at ?? "-"]),
            )
          : "No schedules. Create one with: symbiont schedules create --name <name> --agent <id> --cron <cron>",
      );
    });
  schedules
    .command("create")
    .description("Create a schedule: --cron for recurring, --at for one time")
    .requiredOption("--name <name>", "a name for humans")
    .requiredOption("--agent <id>", "the agent each slot runs")
    .option("--cron <expression>", 'e.g. "*/15 * * * *" or "0 0 9 * * *" (seconds first)')
    .option("--at <time>", "one time, ISO 8601, e.g. 2030-01-01T09:00:00Z")
    .option("--timezone <zone>", "IANA time zone the cron is read in", "UTC")
    .option("--input <text>", "what the run is asked (default: the schedule's name and slot)")
    .option("--once", "with --cron: fire the first slot only, then complete")
    .option("--missed <policy>", "slots missed during downtime: run_latest or skip", "run_latest")
    .action(
      async (
        flags: {
          name: string;
          agent: string;
          cron?: string;
          at?: string;
          timezone: string;
          input?: string;
          once?: boolean;
          missed: string;
        },
        command: Command,
      ) => {
        const options = globals(command);
        if ((flags.cron === undefined) === (flags.at === undefined))
          throw new CliError("Give exactly one of --cron (recurring) or --at (one time)", ExitCode.usage);
        const schedule = await clientFrom(options).schedules.create({
          name: flags.name,
          agent_id: flags.agent,
          cron: flags.cron ?? null,
          at: flags.at ?? null,
          timezone: flags.timezone,
          input: flags.input ?? null,
          one_shot: Boolean(flags.once),
          missed: missedPolicy(flags.missed),
        });
        createOutput(Boolean(options.json)).result(schedule, () => `Created schedule\n${describe(schedule)}`);
      },
    );
  schedules.command("get <id>").action(async (id: string, _flags: unknown, command: Command) => {
    const options = globals(command);
    const client = clientFrom(options);
    const schedule = await client.schedules.get(id);
    const next = await client.schedules.nextTimes(id, 5);
    createOutput(Boolean(options.json)).result({ ...schedule, next_fire_times: next.times }, () =>
      [
        describe(schedule),
        ...(next.times.length ? ["  coming slots:", ...next.times.map((t) => `    ${t}`)] : []),
      ].join("\n"),
    );
  });
  schedules
    .command("update <id>")
    .option("--name <name>")
    .option("--cron <expression>")
    .option("--at <time>")
    .option("--timezone <zone>")
    .option("--input <text>")
    .option("--missed <policy>", "run_latest or skip")
    .action(
      async (
        id: string,
        flags: {
          name?: string;
          cron?: string;
          at?: string;
          timezone?: string;
          input?: string;
          missed?: string;
        },
        command: Command,
      ) => {
        const options = globals(command);
        const schedule = await clientFrom(options).schedules.update(id, {
          name: flags.name ?? null,
          cron: flags.cron ?? null,
          at: flags.at ?? null,
          timezone: flags.timezone ?? null,
          input: flags.input ?? null,
          missed: missedPolicy(flags.missed) ?? null,
        });
        createOutput(Boolean(options.json)).result(schedule, () => `Updated\n${describe(schedule)}`);
      },
    );
  for (const verb of ["pause", "resume"] as const) {
    schedules
      .command(`${verb} <id>`)
      .description(verb === "pause" ? "Stop firing until resumed" : "Fire again from the next slot after now")
      .action(async (id: string, _flags: unknown, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options).schedules;
        const schedule = verb === "pause" ? await client.pause(id) : await client.resume(id);
        createOutput(Boolean(options.json)).result(
          schedule,
          () => `${verb === "pause" ? "Paused" : "Resumed"}\n${describe(schedule)}`,
        );
      });
  }
  schedules.command("delete <id>").action(async (id: string, _flags: unknown, command: Command) => {
    const options = globals(command);
    const deleted = await clientFrom(options).schedules.delete(id);
    createOutput(Boolean(options.json)).result(
      deleted,
      () => `Deleted schedule ${id} (the runs it fired stay)`,
    );
  });
  schedules
    .command("history <id>")
    .description("The slots fired (or skipped as missed), newest first, with their runs")
    .option("--limit <n>", "how many slots", "50")
    .action(async (id: string, flags: { limit: string }, command: Command) => {
      const options = globals(command);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new CliError("--limit must be a whole number from 1 to 500", ExitCode.usage);
      const history = await clientFrom(options).schedules.history(id, limit);
      createOutput(Boolean(options.json)).result(history, () =>
        history.items.length
          ? table(
              ["SLOT", "FIRED AT", "STATUS", "RUN", "ERROR"],
              history.items.map((f) => [f.slot_time, f.fired_at, f.status, f.run_id ?? "-", f.error ?? ""]),
            )
          : "Nothing fired yet",
      );
    });
}
