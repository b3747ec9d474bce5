import type { UserInfo } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { askHidden, interactive, readStdin } from "../prompt.js";
import { repeatable } from "./repeatable.js";

function state(user: UserInfo): string {
  if (user.disabled) return "disabled";
  if (user.locked_until) return `locked until ${user.locked_until}`;
  return "active";
}

function describeUser(user: UserInfo): string {
  return [
    `User ${user.username} (${user.id})`,
    `  name:          ${user.display_name ?? "-"}`,
    `  roles:         ${user.roles.join(", ") || "none"}`,
    `  state:         ${state(user)}`,
    `  second factor: ${user.totp_enabled ? "on" : "off"}`,
    `  last login:    ${user.last_login_at ?? "never"}`,
    `  created:       ${user.created_at}`,
  ].join("\n");
}

/** The new password: from stdin with --password-stdin, else asked twice on the terminal. */
async function newPassword(fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) return readStdin();
  if (!interactive())
    throw new CliError("No terminal to ask for the password: use --password-stdin", ExitCode.usage);
  const first = await askHidden("New password: ");
  if ((await askHidden("Again: ")) !== first) throw new CliError("The two passwords differ", ExitCode.usage);
  return first;
}

export function registerUserCommands(program: Command): void {
  const users = program
    .command("users")
    .description("Manage the users of your tenant (needs users:manage, or admin)")
    .addHelpText(
      "after",
      `
Built-in roles: admin, operator, viewer, user; custom roles come from \`symbiont roles\`.
Nobody can give a role stronger than their own.

Examples:
  symbiont users create alice --role operator          # asks for the password
  echo "$PW" | symbiont users create ci --role user --password-stdin
  symbiont users update <id> --role viewer --role auditor
  symbiont users unlock <id>
  symbiont users list`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const out = (command: Command) => createOutput(Boolean(globals(command).json));

  users
    .command("list")
    .description("List the users of your tenant")
    .action(async (_flags: unknown, command: Command) => {
      const all = await clientFrom(globals(command)).users.list();
      out(command).result(all, () =>
        table(
          ["ID", "USERNAME", "ROLES", "STATE", "2FA", "LAST LOGIN"],
          all.map((u) => [
            u.id,
            u.username,
            u.roles.join(","),
            state(u),
            u.totp_enabled ? "on" : "off",
            u.last_login_at ?? "never",
          ]),
        ),
      );
    });

  users
    .command("create <username>")
    .description("Create a user; the password is asked for, or read with --password-stdin")
    .addOption(repeatable("--role <role>", "a role to give (repeat for more; default: user)"))
    .option("--name <display name>", "the name to show")
    .option("--password-stdin", "read the password from standard input")
    .action(
      async (
        username: string,
        flags: { role?: string[]; name?: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        const password = await newPassword(flags.passwordStdin);
        const user = await clientFrom(globals(command)).users.create({
          username,
          password,
          roles: flags.role ?? ["user"],
          display_name: flags.name ?? null,
        });
        out(command).result(user, () => `Created ${describeUser(user).replace(/^User /, "user ")}`);
      },
    );

  users
    .command("get <id>")
    .description("Show one user")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const user = await clientFrom(globals(command)).users.get(id);
      out(command).result(user, () => describeUser(user));
    });

  users
    .command("update <id>")
    .description(
      "Change roles, display name, password or disabled state; the user's sessions end on role, password or disable",
    )
    .addOption(repeatable("--role <role>", "replace the roles with these (repeat for more)"))
    .option("--name <display name>", "the name to show")
    .option("--password", "set a new password (asked for, or --password-stdin)")
    .option("--password-stdin", "read the new password from standard input")
    .option("--disable", "stop the user logging in")
    .option("--enable", "let a disabled user log in again")
    .action(
      async (
        id: string,
        flags: {
          role?: string[];
          name?: string;
          password?: boolean;
          passwordStdin?: boolean;
          disable?: boolean;
          enable?: boolean;
        },
        command: Command,
      ) => {
        if (flags.disable && flags.enable)
          throw new CliError("Give --disable or --enable, not both", ExitCode.usage);
        const changes = {
          ...(flags.role ? { roles: flags.role } : {}),
          ...(flags.name ? { display_name: flags.name } : {}),
          ...(flags.password || flags.passwordStdin
            ? { password: await newPassword(flags.passwordStdin) }
            : {}),
          ...(flags.disable ? { disabled: true } : flags.enable ? { disabled: false } : {}),
        };
        if (Object.keys(changes).length === 0)
          throw new CliError(
            "Nothing to change: give --role, --name, --password, --disable or --enable",
            ExitCode.usage,
          );
        const user = await clientFrom(globals(command)).users.update(id, changes);
        out(command).result(user, () => `Updated ${describeUser(user).replace(/^User /, "user ")}`);
      },
    );

  users
    .command("unlock <id>")
    .description("Clear a lockout after failed logins")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const user = await clientFrom(globals(command)).users.update(id, { unlock: true });
      out(command).result(user, () => `Unlocked user ${user.username}.`);
    });

  users
    .command("delete <id>")
    .description("Delete a user and end its sessions")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const result = await clientFrom(globals(command)).users.delete(id);
      out(command).result(result, () => `Deleted user ${id}.`);
    });
}
