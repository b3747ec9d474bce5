import type { ApiKeyCreatedResponse, ApiKeyInfo, Grant } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { repeatable } from "./repeatable.js";

interface CreateFlags {
  permission?: string[];
  agent?: string[];
  expiresIn?: string;
  expiresAt?: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `12h`, `30d` → an ISO time that far from now. */
export function expiryFrom(flags: CreateFlags, now = Date.now()): string | null {
  if (flags.expiresIn && flags.expiresAt)
    throw new CliError("Give --expires-in or --expires-at, not both", ExitCode.usage);
  if (flags.expiresAt) return flags.expiresAt;
  if (!flags.expiresIn) return null;
  const match = /^(\d+)([mhd])$/.exec(flags.expiresIn.trim());
  if (!match?.[1] || !match[2]) {
    throw new CliError(
      `--expires-in must look like 90m, 12h or 30d, not ${JSON.stringify(flags.expiresIn)}`,
      ExitCode.usage,
    );
  }
  return new Date(now + Number(match[1]) * (UNITS[match[2]] ?? 0)).toISOString();
}

function state(key: ApiKeyInfo): string {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return "expired";
  return "active";
}

function describeCreated(key: ApiKeyCreatedResponse): string {
  return [
    `Created API key ${key.id} (${key.name}).`,
    "",
    "  It is shown this once and stored only as a hash; copy it now:",
    "",
    `    ${key.key}`,
    "",
    `  permissions: ${key.permissions.join(", ")}`,
    `  agents:      ${key.agent_ids ? key.agent_ids.join(", ") : "all"}`,
    `  expires:     ${key.expires_at ?? "never"}`,
  ].join("\n");
}

export function registerKeyCommands(program: Command): void {
  const keys = program
    .command("keys")
    .description("Create, list and revoke API keys")
    .addHelpText(
      "after",
      `
Permissions: read, write, delete, execute, admin (each action on every domain), or one action on
one domain: agents:read, agents:write, agents:delete, keys:read, keys:write, system:read, system:admin,
audit:read, secrets:list, secrets:read, secrets:write, secrets:delete, secrets:admin.
Nobody can grant a permission they do not hold.

Examples:
  symbiont keys create ci-deployer --permission agents:read --permission agents:write --expires-in 30d
  symbiont keys create support-bot --permission read --agent helper --agent triage
  symbiont keys list
  symbiont keys revoke 3f2a9c0d1e4b5a6c7d`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  keys
    .command("create <name>")
    .description("Create a key; the whole key is printed once")
    .addOption(repeatable("--permission <grant>", "a permission to grant (repeat for more; at least one)"))
    .addOption(
      repeatable("--agent <id>", "limit the key to this agent (repeat for more; default: all agents)"),
    )
    .option("--expires-in <duration>", "stop working after this long: 90m, 12h, 30d")
    .option("--expires-at <time>", "stop working at this RFC 3339 time")
    .action(async (name: string, flags: CreateFlags, command: Command) => {
      const options = globals(command);
      if (!flags.permission || flags.permission.length === 0) {
        throw new CliError("Give at least one --permission (e.g. --permission agents:read)", ExitCode.usage);
      }
      const created = await clientFrom(options).keys.create({
        name,
        // Checked by the server, which names a misspelt grant (shown here as --permission).
        permissions: flags.permission as Grant[],
        agent_ids: flags.agent ?? null,
        expires_at: expiryFrom(flags),
      });
      createOutput(Boolean(options.json)).result(created, () => describeCreated(created));
    });

  keys
    .command("list")
    .description("List the keys of your tenant, newest first (never their secrets)")
    .action(async (_options: unknown, command: Command) => {
      const options = globals(command);
      const all = await clientFrom(options).keys.list();
      createOutput(Boolean(options.json)).result(all, () =>
        table(
          ["ID", "NAME", "STATE", "PERMISSIONS", "AGENTS", "LAST USED", "EXPIRES"],
          all.map((k) => [
            k.id,
            k.name,
            state(k),
            k.permissions.join(","),
            k.agent_ids?.join(",") ?? "all",
            k.last_used_at ?? "never",
            k.expires_at ?? "never",
          ]),
        ),
      );
    });

  keys
    .command("get <id>")
    .description("Show one key (never its secret)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = globals(command);
      const key = await clientFrom(options).keys.get(id);
      createOutput(Boolean(options.json)).result(key, () =>
        Object.entries({ ...key, state: state(key) })
          .map(
            ([field, value]) =>
              `${field.padEnd(13)} ${Array.isArray(value) ? value.join(", ") : (value ?? "-")}`,
          )
          .join("\n"),
      );
    });

  keys
    .command("revoke <id>")
    .description("Revoke a key: it stops working on its next request")
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = globals(command);
      const revoked = await clientFrom(options).keys.revoke(id);
      createOutput(Boolean(options.json)).result(revoked, () => `Revoked API key ${revoked.id}.`);
    });
}
