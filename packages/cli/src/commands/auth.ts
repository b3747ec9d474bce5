import { AuthenticationError, type MeResponse } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions, targetApiUrl } from "../client.js";
import { credentialsPath, forgetSession, loadSession, saveSession } from "../credentials.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput } from "../output.js";
import { ask, askHidden, interactive, readStdin } from "../prompt.js";

interface LoginFlags {
  username?: string;
  tenant?: string;
  passwordStdin?: boolean;
  totpCode?: string;
  recoveryCode?: string;
}

function describeMe(me: MeResponse): string {
  const who = me.user
    ? `${me.user.username} (user ${me.user.id})`
    : `${me.principal_kind} ${me.principal_id}`;
  return [
    `You are ${who}`,
    `  tenant:      ${me.tenant.name} (${me.tenant.id})`,
    `  roles:       ${me.roles.length > 0 ? me.roles.join(", ") : "none"}`,
    `  permissions: ${me.permissions.join(", ")}`,
    `  agents:      ${me.agent_ids ? me.agent_ids.join(", ") : "all"}`,
    ...(me.user ? [`  second factor: ${me.user.totp_enabled ? "on" : "off"}`] : []),
  ].join("\n");
}

async function password(flags: LoginFlags): Promise<string> {
  if (flags.passwordStdin) return readStdin();
  if (!interactive()) {
    throw new CliError(
      "No terminal to ask for the password: pipe it in with --password-stdin",
      ExitCode.usage,
    );
  }
  return askHidden("Password: ");
}

export function registerAuthCommands(program: Command): void {
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  program
    .command("login")
    .description("Log in as a user; the session is kept in your config directory (mode 0600)")
    .option("-u, --username <name>", "your username (asked when absent)")
    .option("-t, --tenant <id>", "your organisation's tenant", "default")
    .option("--password-stdin", "read the password from standard input instead of asking")
    .option("--totp-code <code>", "the 6 digits of your authenticator app (asked when needed)")
    .option("--recovery-code <code>", "one of your recovery codes, instead of a TOTP code")
    .addHelpText(
      "after",
      `
The session refreshes itself; commands use it whenever no API key is set (SYMBIONT_API_KEY wins).

Examples:
  symbiont login -u alice
  echo "$PASSWORD" | symbiont login -u ci-bot --password-stdin --tenant acme`,
    )
    .action(async (flags: LoginFlags, command: Command) => {
      const options = globals(command);
      const apiUrl = targetApiUrl(options);
      const username = flags.username ?? (interactive() ? await ask("Username: ") : "");
      if (!username) throw new CliError("Give --username (or run in a terminal to be asked)", ExitCode.usage);
      const secret = await password(flags);
      // Logging in starts from no credential, whatever the environment holds.
      const client = clientFrom({ ...options, apiKey: undefined });
      const attempt = (totpCode?: string) =>
        client.auth.login({
          username,
          password: secret,
          tenant: flags.tenant ?? "default",
          ...(totpCode ? { totpCode } : {}),
          ...(flags.recoveryCode ? { recoveryCode: flags.recoveryCode } : {}),
        });
      let tokens: Awaited<ReturnType<typeof attempt>>;
      try {
        tokens = await attempt(flags.totpCode);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        if (error.code !== "TOTP_REQUIRED")
          throw new CliError(`Login refused: ${loginRefusal(error)}`, ExitCode.unauthenticated);
        if (!interactive())
          throw new CliError(
            "This account needs a second factor: add --totp-code (or --recovery-code)",
            ExitCode.usage,
          );
        try {
          tokens = await attempt(await askHidden("Authentication code: "));
        } catch (again) {
          if (again instanceof AuthenticationError)
            throw new CliError(`Login refused: ${loginRefusal(again)}`, ExitCode.unauthenticated);
          throw again;
        }
      }
      saveSession(apiUrl, { ...tokens, username, tenant: flags.tenant ?? "default" });
      const me = await client.auth.me();
      createOutput(Boolean(options.json)).result(
        { logged_in: true, username, tenant: me.tenant.id, roles: me.roles, credentials: credentialsPath() },
        () =>
          `Logged in to ${apiUrl} as ${username} (${me.tenant.name}; roles: ${me.roles.join(", ") || "none"}).`,
      );
    });

  program
    .command("logout")
    .description("End your login session on the runtime and forget it here")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const apiUrl = targetApiUrl(options);
      const session = loadSession(apiUrl);
      if (!session) {
        createOutput(Boolean(options.json)).result(
          { logged_out: false },
          () => `Not logged in to ${apiUrl}.`,
        );
        return;
      }
      try {
        await clientFrom({ ...options, apiKey: undefined }).auth.logout();
      } catch (error) {
        // An already-ended session is logged out all the same; anything else is worth saying.
        if (!(error instanceof AuthenticationError)) throw error;
      } finally {
        forgetSession(apiUrl);
      }
      createOutput(Boolean(options.json)).result({ logged_out: true }, () => `Logged out of ${apiUrl}.`);
    });

  program
    .command("whoami")
    .description("Show who the current credential belongs to: user, tenant, roles, permissions")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const me = await clientFrom(options).auth.me();
      createOutput(Boolean(options.json)).result(me, () => describeMe(me));
    });
}

function loginRefusal(error: AuthenticationError): string {
  const body = error.body as { error?: unknown } | undefined;
  return typeof body?.error === "string" ? body.error : error.message;
}
