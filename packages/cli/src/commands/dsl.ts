import {
  type CompiledDefinition,
  compile,
  format,
  isError,
  type LocatedDiagnostic,
  locate,
  parse,
  SourceText,
  unlocate,
} from "@symbiont/dsl";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { readSource, renderAll, summary, useColor, writeSource } from "../dsl-files.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput } from "../output.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
const displayName = (path: string) => (path === "-" ? "<stdin>" : path);

/** A human summary of what a file defines. */
function describeDefinition(definition: CompiledDefinition): string {
  const lines: string[] = [];
  for (const agent of definition.agents) {
    lines.push(`agent ${agent.name}${agent.display_name ? ` (${agent.display_name})` : ""}`);
    if (agent.model) lines.push(`  model         ${agent.model}`);
    if (agent.capabilities.length > 0) lines.push(`  capabilities  ${agent.capabilities.join(", ")}`);
    for (const policy of agent.policies) {
      lines.push(`  policy ${policy.name}: ${policy.rules.map((r) => r.effect).join(", ") || "no rules"}`);
    }
    const limits = Object.entries(agent.limits).filter(([, v]) => v !== null);
    if (limits.length > 0) lines.push(`  limits        ${limits.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    for (const trigger of agent.triggers) lines.push(`  ${trigger.kind} ${trigger.name ?? ""}`.trimEnd());
    for (const action of agent.actions)
      lines.push(`  action ${action.name} (${action.statements} statements)`);
  }
  for (const s of definition.schedules) {
    lines.push(
      `schedule ${s.name ?? "(unnamed)"}: ${s.cron ?? `at ${s.at}`} ${s.timezone}${s.one_shot ? " once" : ""} -> ${s.agent}`,
    );
  }
  for (const w of definition.webhooks) {
    lines.push(
      `webhook ${w.name ?? "(unnamed)"}: ${w.provider} ${w.path} -> ${w.agent}${w.secret ? ` (secret ${w.secret.reference})` : ""}`,
    );
  }
  for (const m of definition.memories)
    lines.push(`memory ${m.name ?? "(unnamed)"}: ${m.store}${m.path ? ` at ${m.path}` : ""}`);
  for (const c of definition.channels) lines.push(`channel ${c.name ?? "(unnamed)"}: ${c.platform ?? "?"}`);
  for (const p of definition.policies) lines.push(`policy ${p.name}: ${p.rules.length} rules`);
  return lines.length > 0 ? lines.join("\n") : "(defines nothing)";
}

/** The agent name to register: --name, else the file's only agent. */
function agentNameFor(text: string, path: string, name: string | undefined): string {
  if (name) return name;
  const agents = parse(text).program.items.flatMap((item) => (item.kind === "Agent" ? [item.name] : []));
  if (agents.length === 1) return agents[0]!;
  throw new CliError(
    agents.length === 0
      ? `${displayName(path)} defines no agent; nothing to register`
      : `${displayName(path)} defines ${agents.length} agents (${agents.join(", ")}); choose one with --name`,
    ExitCode.usage,
  );
}

export function registerDslCommands(program: Command): void {
  const dsl = program
    .command("dsl")
    .description("Check, format and compile .symbi agent definitions, and register them with the runtime")
    .addHelpText(
      "after",
      `
check, fmt and compile work offline; register talks to the runtime. A file of '-' reads standard input.

Examples:
  symbiont dsl check agent.symbi             # errors with code frames; exit code 1 if any
  symbiont dsl fmt agent.symbi --write       # format in place (--check: exit 1 if not formatted)
  symbiont dsl compile agent.symbi --json    # the compiled definition
  symbiont dsl register agent.symbi          # compile on the server and create or update the agent`,
    );

  dsl
    .command("check <file>")
    .description("Report errors and warnings with their line, column and a code frame")
    .action((file: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const out = createOutput(Boolean(options.json));
      const text = readSource(file);
      const result = compile(text, displayName(file));
      const failed = result.diagnostics.some(isError);
      out.result(
        {
          file: displayName(file),
          ok: !failed,
          diagnostics: result.diagnostics.map((d) => locate(result.source, d)),
        },
        () => {
          const frames = renderAll(result.source, result.diagnostics, useColor(process.stdout));
          const verdict = `${displayName(file)}: ok (${summary(result.diagnostics)})`;
          return failed ? frames : frames ? `${frames}\n\n${verdict}` : verdict;
        },
      );
      // A failed check ends like every failure: its verdict on stderr and a non-zero exit code.
      if (failed)
        throw new CliError(`${displayName(file)}: ${summary(result.diagnostics)}`, ExitCode.failure);
    });

  dsl
    .command("fmt <file>")
    .description("Format a file: print it, rewrite it (--write) or check it is formatted (--check)")
    .option("--write", "rewrite the file in place")
    .option("--check", "change nothing; exit code 1 if the file is not formatted")
    .action((file: string, flags: { write?: boolean; check?: boolean }, command: Command) => {
      const options = globals(command);
      if (flags.write && flags.check) throw new CliError("Give --write or --check, not both", ExitCode.usage);
      if (flags.write && file === "-")
        throw new CliError("--write needs a file, not standard input", ExitCode.usage);
      const out = createOutput(Boolean(options.json));
      const text = readSource(file);
      const result = format(text);
      if (!result.ok) {
        const source = new SourceText(text, displayName(file));
        out.result(
          {
            file: displayName(file),
            ok: false,
            diagnostics: result.diagnostics.map((d) => locate(source, d)),
          },
          () => renderAll(source, result.diagnostics, useColor(process.stdout)),
        );
        throw new CliError(
          `${displayName(file)}: not formatted; fix its ${summary(result.diagnostics)} first`,
          ExitCode.failure,
        );
      }
      const changed = result.text !== text;
      if (flags.check) {
        if (changed) {
          throw new CliError(
            `${displayName(file)} is not formatted; run: symbiont dsl fmt --write ${file}`,
            ExitCode.failure,
          );
        }
        out.result({ file: displayName(file), formatted: true }, () => `${displayName(file)} is formatted`);
        return;
      }
      if (flags.write) {
        if (changed) writeSource(file, result.text);
        out.result({ file, changed }, () => (changed ? `formatted ${file}` : `${file} unchanged`));
        return;
      }
      if (options.json) out.result({ file: displayName(file), text: result.text }, () => "");
      else process.stdout.write(result.text);
    });

  dsl
    .command("compile <file>")
    .description("Compile offline and print what the file defines (--json: the full compiled definition)")
    .action((file: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const out = createOutput(Boolean(options.json));
      const text = readSource(file);
      const result = compile(text, displayName(file));
      const warnings = renderAll(result.source, result.diagnostics, useColor(process.stdout));
      if (!result.definition) {
        out.result(
          {
            file: displayName(file),
            ok: false,
            diagnostics: result.diagnostics.map((d) => locate(result.source, d)),
          },
          () => warnings,
        );
        throw new CliError(`${displayName(file)}: ${summary(result.diagnostics)}`, ExitCode.failure);
      }
      // Warnings of a good file go to stderr, so stdout stays the definition alone.
      if (warnings && !options.json) {
        process.stderr.write(`${renderAll(result.source, result.diagnostics, useColor(process.stderr))}\n\n`);
      }
      out.result(
        {
          file: displayName(file),
          ok: true,
          diagnostics: result.diagnostics.map((d) => locate(result.source, d)),
          definition: result.definition,
        },
        () => describeDefinition(result.definition!),
      );
    });

  dsl
    .command("register <file>")
    .description(
      "Compile on the runtime and create or update the agent (registered, not started), with its schedules and policies; registering again replaces them",
    )
    .option("--name <agent>", "the agent id to register; defaults to the file's only agent")
    .option("--dry-run", "let the server check and compile only (validate_only)")
    .action(async (file: string, flags: { name?: string; dryRun?: boolean }, command: Command) => {
      const options = globals(command);
      const out = createOutput(Boolean(options.json));
      const text = readSource(file);
      const agentName = agentNameFor(text, file, flags.name);
      const result = await clientFrom(options).dsl.compile({
        dsl_content: text,
        agent_name: agentName,
        validate_only: Boolean(flags.dryRun),
      });
      const source = new SourceText(text, displayName(file));
      const frames = renderAll(
        source,
        result.diagnostics.map((d) => unlocate(source, d as LocatedDiagnostic)),
        useColor(process.stdout),
      );
      // Errors the server found outside the source's positions (e.g. no agent of that name).
      const unplaced = result.errors.filter((e) => !/^\d+:\d+: /.test(e));
      if (!result.success) {
        out.result(result, () => [frames, unplaced.join("\n")].filter(Boolean).join("\n\n"));
        throw new CliError(
          `${displayName(file)}: not registered (${summary(result.diagnostics)})`,
          ExitCode.failure,
        );
      }
      out.result(result, () => {
        const stored = result.stored
          ? ` Stored ${result.stored.schedules.length} schedule(s), ${result.stored.policies.length} policy rule(s) and ${result.stored.endpoints.length} webhook endpoint(s), replacing the previous registration's.`
          : "";
        const verdict = result.agent_id
          ? `${result.registration === "updated" ? "Updated" : "Registered"} agent ${result.agent_id} from ${displayName(file)}.${stored}`
          : `${displayName(file)}: ok; nothing registered (--dry-run)`;
        // The runtime's own notes (defaults, what of the schedules and policies it could not store).
        const notes = result.warnings.filter((w) => /^warning\[W000[678]\]/.test(w));
        return [frames, notes.join("\n"), verdict].filter(Boolean).join("\n\n");
      });
    });
}
