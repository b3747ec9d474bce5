import type { TenantInfo } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { askHidden, interactive, readStdin } from "../prompt.js";

const describeTenant = (tenant: TenantInfo) =>
  `Tenant ${tenant.id} (${tenant.name}), ${tenant.user_count} user(s), created ${tenant.created_at}`;

export function registerTenantCommands(program: Command): void {
  const tenants = program
    .command("tenants")
    .description("Manage tenants (for admins of the instance tenant `default`)")
    .addHelpText(
      "after",
      `
Examples:
  symbiont tenants create acme --name "Acme Corp" --admin root   # asks for root's password
  symbiont tenants list
  symbiont tenants rename acme "Acme Inc"
Users of a tenant then log in with: symbiont login --tenant acme -u root`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const out = (command: Command) => createOutput(Boolean(globals(command).json));

  tenants
    .command("list")
    .description("Every tenant with its user count")
    .action(async (_flags: unknown, command: Command) => {
      const all = await clientFrom(globals(command)).tenants.list();
      out(command).result(all, () =>
        table(
          ["ID", "NAME", "USERS", "CREATED"],
          all.map((t) => [t.id, t.name, String(t.user_count), t.created_at]),
        ),
      );
    });

  tenants
    .command("create <id>")
    .description("Create a tenant, optionally with its first admin user")
    .requiredOption("--name <name>", "the tenant's display name")
    .option("--admin <username>", "create this admin user in the new tenant")
    .option("--password-stdin", "read the admin's password from standard input")
    .action(
      async (
        id: string,
        flags: { name: string; admin?: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        let admin: { username: string; password: string } | null = null;
        if (flags.admin) {
          let password: string;
          if (flags.passwordStdin) password = await readStdin();
          else if (interactive()) password = await askHidden(`Password for ${flags.admin}: `);
          else
            throw new CliError(
              "No terminal to ask for the admin's password: use --password-stdin",
              ExitCode.usage,
            );
          admin = { username: flags.admin, password };
        }
        const tenant = await clientFrom(globals(command)).tenants.create({ id, name: flags.name, admin });
        out(command).result(tenant, () => `Created ${describeTenant(tenant).replace(/^Tenant /, "tenant ")}`);
      },
    );

  tenants
    .command("get <id>")
    .description("Show one tenant")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const tenant = await clientFrom(globals(command)).tenants.get(id);
      out(command).result(tenant, () => describeTenant(tenant));
    });

  tenants
    .command("rename <id> <name>")
    .description("Change a tenant's display name")
    .action(async (id: string, name: string, _flags: unknown, command: Command) => {
      const tenant = await clientFrom(globals(command)).tenants.rename(id, name);
      out(command).result(tenant, () => `Renamed: ${describeTenant(tenant)}`);
    });
}
