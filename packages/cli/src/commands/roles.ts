import type { Grant, RoleInfo } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { repeatable } from "./repeatable.js";

const describeRole = (role: RoleInfo) =>
  [
    `Role ${role.name}${role.built_in ? " (built-in)" : ""}`,
    `  description: ${role.description || "-"}`,
    `  permissions: ${role.permissions.join(", ")}`,
  ].join("\n");

export function registerRoleCommands(program: Command): void {
  const roles = program
    .command("roles")
    .description("List roles and manage your tenant's custom roles (needs roles:manage, or admin)")
    .addHelpText(
      "after",
      `
Permissions: read, write, delete, execute, admin, or one action on one domain (agents:read,
keys:write, audit:read, users:manage, roles:manage, ...). Nobody grants what they do not hold.

Examples:
  symbiont roles list
  symbiont roles create auditor --permission audit:read --permission agents:read --description "reads the trail"
  symbiont roles update auditor --permission audit:read
  symbiont roles delete auditor`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const out = (command: Command) => createOutput(Boolean(globals(command).json));

  roles
    .command("list")
    .description("Built-in and custom roles with their permissions")
    .action(async (_flags: unknown, command: Command) => {
      const all = await clientFrom(globals(command)).roles.list();
      out(command).result(all, () =>
        table(
          ["NAME", "KIND", "PERMISSIONS", "DESCRIPTION"],
          all.map((r) => [
            r.name,
            r.built_in ? "built-in" : "custom",
            r.permissions.join(","),
            r.description,
          ]),
          64,
        ),
      );
    });

  roles
    .command("create <name>")
    .description("Create a custom role")
    .addOption(repeatable("--permission <grant>", "a permission the role grants (repeat for more)"))
    .option("--description <text>", "what the role is for")
    .action(
      async (name: string, flags: { permission?: string[]; description?: string }, command: Command) => {
        if (!flags.permission?.length) throw new CliError("Give at least one --permission", ExitCode.usage);
        const role = await clientFrom(globals(command)).roles.create({
          name,
          permissions: flags.permission as Grant[],
          ...(flags.description ? { description: flags.description } : {}),
        });
        out(command).result(role, () => `Created ${describeRole(role).replace(/^Role /, "role ")}`);
      },
    );

  roles
    .command("get <name>")
    .description("Show one role")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const role = await clientFrom(globals(command)).roles.get(name);
      out(command).result(role, () => describeRole(role));
    });

  roles
    .command("update <name>")
    .description(
      "Change a custom role's permissions or description (holders get them at their next login or refresh)",
    )
    .addOption(repeatable("--permission <grant>", "replace the permissions with these (repeat for more)"))
    .option("--description <text>", "what the role is for")
    .action(
      async (name: string, flags: { permission?: string[]; description?: string }, command: Command) => {
        if (!flags.permission && flags.description === undefined)
          throw new CliError("Nothing to change: give --permission or --description", ExitCode.usage);
        const role = await clientFrom(globals(command)).roles.update(name, {
          ...(flags.permission ? { permissions: flags.permission as Grant[] } : {}),
          ...(flags.description !== undefined ? { description: flags.description } : {}),
        });
        out(command).result(role, () => `Updated ${describeRole(role).replace(/^Role /, "role ")}`);
      },
    );

  roles
    .command("delete <name>")
    .description("Delete a custom role that no user holds")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const result = await clientFrom(globals(command)).roles.delete(name);
      out(command).result(result, () => `Deleted role ${name}.`);
    });
}
