import { TENANT_WIDE } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { secretValueFrom } from "./secret-value.js";

interface OwnerFlags {
  agent?: string;
}

const ownerOf = (flags: OwnerFlags) => flags.agent ?? TENANT_WIDE;
const whose = (owner: string) => (owner === TENANT_WIDE ? "the tenant" : `agent ${owner}`);

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new CliError(`${flag} must be a whole number, not ${JSON.stringify(value)}`, ExitCode.usage);
  return Number(value);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `12h`, `7d` or plain seconds. */
export function graceSecondsFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match?.[1])
    throw new CliError(
      `--grace must look like 3600, 90m, 12h or 7d, not ${JSON.stringify(text)}`,
      ExitCode.usage,
    );
  return Number(match[1]) * (UNITS[match[2] || "s"] ?? 1);
}

export function registerSecretCommands(program: Command): void {
  const secrets = program
    .command("secrets")
    .description("Store, read, rotate and roll back secrets of your agents or your tenant")
    .addHelpText(
      "after",
      `
Secrets belong to an agent (--agent <id>) or, without --agent, to your tenant. Values are read
from --value, else from stdin when piped, else from a prompt that does not echo. Prefer stdin or
the prompt: a --value ends up in your shell history.

Examples:
  symbiont secrets set OPENAI_API_KEY                          # prompts for the value
  printf %s "$TOKEN" | symbiont secrets set GITHUB_TOKEN --agent helper
  symbiont secrets list --agent helper
  symbiont secrets get GITHUB_TOKEN --agent helper
  symbiont secrets rotate GITHUB_TOKEN --agent helper --grace 1h
  symbiont secrets versions GITHUB_TOKEN --agent helper
  symbiont secrets rollback GITHUB_TOKEN --agent helper --to 2

Agents and tools refer to secrets as secret://NAME (the agent's, else the tenant's), and to
values kept in Vault as vault://mount/path#key.`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const agentOption = "--agent <id>";
  const agentHelp = "the agent the secret belongs to (default: your tenant)";

  secrets
    .command("set <name>")
    .description("Store a secret; an existing one gets a new version")
    .option(agentOption, agentHelp)
    .option("--value <value>", "the value (better: pipe it on stdin or type it at the prompt)")
    .option("--description <text>", "what the secret is for")
    .action(
      async (
        name: string,
        flags: OwnerFlags & { value?: string; description?: string },
        command: Command,
      ) => {
        const options = globals(command);
        const value = await secretValueFrom(flags.value);
        const stored = await clientFrom(options).secrets.set(ownerOf(flags), name, value, {
          description: flags.description ?? null,
        });
        createOutput(Boolean(options.json)).result(
          stored,
          () => `Stored ${name} of ${whose(stored.agent_id)}: version ${stored.version} (${stored.backend}).`,
        );
      },
    );

  secrets
    .command("get <name>")
    .description("Print a secret's value (audited)")
    .option(agentOption, agentHelp)
    .option("--at <version>", "an earlier version instead of the current one")
    .action(async (name: string, flags: OwnerFlags & { at?: string }, command: Command) => {
      const options = globals(command);
      const read = await clientFrom(options).secrets.get(ownerOf(flags), name, wholeNumber("--at", flags.at));
      createOutput(Boolean(options.json)).result(read, () => read.value);
    });

  secrets
    .command("list")
    .description("List secret names and metadata (never values)")
    .option(agentOption, agentHelp)
    .action(async (flags: OwnerFlags, command: Command) => {
      const options = globals(command);
      const listed = await clientFrom(options).secrets.list(ownerOf(flags));
      createOutput(Boolean(options.json)).result(listed, () =>
        listed.items.length === 0
          ? `No secrets for ${whose(listed.agent_id)}.`
          : table(
              ["NAME", "VERSION", "BACKEND", "UPDATED", "DESCRIPTION"],
              listed.items.map((s) => [
                s.name,
                String(s.version),
                s.backend,
                s.updated_at,
                s.description ?? "",
              ]),
            ),
      );
    });

  secrets
    .command("delete <name>")
    .description("Delete a secret and all its versions")
    .option(agentOption, agentHelp)
    .action(async (name: string, flags: OwnerFlags, command: Command) => {
      const options = globals(command);
      const deleted = await clientFrom(options).secrets.delete(ownerOf(flags), name);
      createOutput(Boolean(options.json)).result(
        deleted,
        () => `Deleted ${name} of ${whose(deleted.agent_id)}.`,
      );
    });

  secrets
    .command("versions <name>")
    .description("List a secret's versions, newest first (never values)")
    .option(agentOption, agentHelp)
    .action(async (name: string, flags: OwnerFlags, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).secrets.versions(ownerOf(flags), name);
      createOutput(Boolean(options.json)).result(list, () =>
        table(
          ["VERSION", "CURRENT", "BACKEND", "CREATED", "BY", "READABLE UNTIL"],
          list.versions.map((v) => [
            String(v.version),
            v.current ? "yes" : "",
            v.backend,
            v.created_at,
            v.created_by,
            v.retires_at ?? "",
          ]),
        ),
      );
    });

  secrets
    .command("rotate <name>")
    .description("Write a new value; the previous one stays readable for a grace period")
    .option(agentOption, agentHelp)
    .option("--value <value>", "the new value (better: stdin or the prompt)")
    .option("--grace <duration>", "how long the previous value stays readable: 3600, 90m, 12h, 7d")
    .action(
      async (name: string, flags: OwnerFlags & { value?: string; grace?: string }, command: Command) => {
        const options = globals(command);
        const grace = graceSecondsFrom(flags.grace);
        const value = await secretValueFrom(flags.value);
        const changed = await clientFrom(options).secrets.rotate(ownerOf(flags), name, value, grace);
        createOutput(Boolean(options.json)).result(
          changed,
          () =>
            `Rotated ${name} of ${whose(changed.agent_id)}: version ${changed.version} is current; version ${changed.previous_version} stays readable until ${changed.previous_retires_at}.`,
        );
      },
    );

  secrets
    .command("rollback <name>")
    .description("Make an earlier version's value current again")
    .option(agentOption, agentHelp)
    .requiredOption("--to <version>", "the version whose value becomes current")
    .action(async (name: string, flags: OwnerFlags & { to: string }, command: Command) => {
      const options = globals(command);
      const version = wholeNumber("--to", flags.to) as number;
      const changed = await clientFrom(options).secrets.rollback(ownerOf(flags), name, version);
      createOutput(Boolean(options.json)).result(
        changed,
        () =>
          `Rolled ${name} of ${whose(changed.agent_id)} back to the value of version ${version}: now version ${changed.version}.`,
      );
    });
}
