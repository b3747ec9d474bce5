import { readFileSync } from "node:fs";
import type { PolicyInfo } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

function policyText(flags: { policy?: string; file?: string }): string | undefined {
  if (flags.policy !== undefined && flags.file !== undefined)
    throw new CliError("Give the policy with --policy or --file, not both", ExitCode.usage);
  if (flags.file !== undefined) return readFileSync(flags.file === "-" ? 0 : flags.file, "utf8");
  return flags.policy;
}

const describe = (p: PolicyInfo) =>
  `${p.id}  ${p.name}  ${p.agent_id ?? "(tenant)"}  ${p.effect}${p.requires_approval ? " after approval" : ""}${p.enabled ? "" : "  (disabled)"}\n${p.policy}`;

export function registerPolicyCommands(program: Command): void {
  const policies = program
    .command("policies")
    .description("Cedar policies that allow, forbid or ask a human about agents' tool calls")
    .addHelpText(
      "after",
      `
Each policy is one Cedar statement about principal Agent::"<id>", action Action::"call_tool" and
resource Tool::"<name>"; context.source and context.arguments describe the call. A call no policy
permits is denied; a forbid always wins; @approval("required") on a permit asks a human first.

Examples:
  symbiont policies create --name clock --policy 'permit(principal, action, resource == Tool::"current_time");'
  symbiont policies create --name ask-deploys --agent ops --file deploy.cedar
  symbiont policies evaluate --agent ops --tool deploy`,
    );
  policies
    .command("list")
    .option("--agent <id>", "only those that govern this agent")
    .action(async (flags: { agent?: string }, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).policies.list(flags.agent);
      createOutput(Boolean(options.json)).result(list, () =>
        list.items.length
          ? table(
              ["ID", "NAME", "AGENT", "EFFECT", "ENABLED"],
              list.items.map((p) => [
                p.id,
                p.name,
                p.agent_id ?? "(tenant)",
                p.requires_approval ? "permit after approval" : p.effect,
                p.enabled ? "yes" : "no",
              ]),
            )
          : "No policies: every tool call is denied",
      );
    });
  policies.command("get <id>").action(async (id: string, _flags: unknown, command: Command) => {
    const options = globals(command);
    const policy = await clientFrom(options).policies.get(id);
    createOutput(Boolean(options.json)).result(policy, () => describe(policy));
  });
  policies
    .command("create")
    .requiredOption("--name <name>", "a name for humans")
    .option("--agent <id>", "only for this agent (default: every agent of the tenant)")
    .option("--policy <text>", "the Cedar text")
    .option("--file <path>", "read the Cedar text from a file (- for stdin)")
    .option("--description <text>")
    .option("--disabled", "store it without applying it yet")
    .action(
      async (
        flags: {
          name: string;
          agent?: string;
          policy?: string;
          file?: string;
          description?: string;
          disabled?: boolean;
        },
        command: Command,
      ) => {
        const options = globals(command);
        const text = policyText(flags);
        if (text === undefined) throw new CliError("Give the policy with --policy or --file", ExitCode.usage);
        const policy = await clientFrom(options).policies.create({
          name: flags.name,
          policy: text,
          agent_id: flags.agent ?? null,
          description: flags.description ?? null,
          enabled: !flags.disabled,
        });
        createOutput(Boolean(options.json)).result(
          policy,
          () => `Created policy ${policy.id}\n${describe(policy)}`,
        );
      },
    );
  policies
    .command("update <id>")
    .option("--name <name>")
    .option("--policy <text>")
    .option("--file <path>")
    .option("--description <text>")
    .option("--enable")
    .option("--disable")
    .action(
      async (
        id: string,
        flags: {
          name?: string;
          policy?: string;
          file?: string;
          description?: string;
          enable?: boolean;
          disable?: boolean;
        },
        command: Command,
      ) => {
        const options = globals(command);
        if (flags.enable && flags.disable)
          throw new CliError("--enable or --disable, not both", ExitCode.usage);
        const policy = await clientFrom(options).policies.update(id, {
          name: flags.name ?? null,
          policy: policyText(flags) ?? null,
          description: flags.description ?? null,
          enabled: flags.enable ? true : flags.disable ? false : null,
        });
        createOutput(Boolean(options.json)).result(policy, () => `Updated\n${describe(policy)}`);
      },
    );
  policies.command("delete <id>").action(async (id: string, _flags: unknown, command: Command) => {
    const options = globals(command);
    const deleted = await clientFrom(options).policies.delete(id);
    createOutput(Boolean(options.json)).result(deleted, () => `Deleted policy ${id}`);
  });
  policies
    .command("evaluate")
    .description("Dry run: what the gate would decide now")
    .requiredOption("--agent <id>")
    .requiredOption("--tool <name>")
    .option("--source <source>", "where the tool comes from", "builtin")
    .option("--arguments <json>", "the call's arguments as a JSON object")
    .action(
      async (
        flags: { agent: string; tool: string; source: string; arguments?: string },
        command: Command,
      ) => {
        const options = globals(command);
        let args: Record<string, unknown> | null = null;
        if (flags.arguments !== undefined) {
          try {
            args = JSON.parse(flags.arguments) as Record<string, unknown>;
          } catch {
            throw new CliError("--arguments must be a JSON object", ExitCode.usage);
          }
        }
        const verdict = await clientFrom(options).policies.evaluate({
          agent_id: flags.agent,
          tool: flags.tool,
          source: flags.source,
          arguments: args,
        });
        createOutput(Boolean(options.json)).result(
          verdict,
          () =>
            `${verdict.decision}${verdict.reasons.length ? ` (by ${verdict.reasons.join(", ")})` : ""}${verdict.errors.length ? `\nerrors: ${verdict.errors.join("; ")}` : ""}`,
        );
      },
    );
}
