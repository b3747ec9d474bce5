import type { AuditEntry } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

interface ListFlags {
  action?: string;
  actor?: string;
  outcome?: string;
  limit?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command("audit")
    .description("Read and verify your tenant's tamper-evident audit log")
    .addHelpText(
      "after",
      `
Every change and every denied request is recorded with who, what, when, from where and the
outcome, each entry chained to the one before by a SHA-256 hash.

Examples:
  symbiont audit list --limit 20
  symbiont audit list --outcome denied
  symbiont audit list --action createApiKey --json
  symbiont audit verify          # exit code 1 and the first broken entry if the log was altered`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  audit
    .command("list")
    .description("Show entries, newest first")
    .option("--action <action>", "only this action, e.g. createAgent, revokeApiKey")
    .option("--actor <id>", "only this actor id")
    .option("--outcome <outcome>", "success, denied or failed")
    .option("--limit <n>", "how many entries (default 50)", "50")
    .action(async (flags: ListFlags, command: Command) => {
      const options = globals(command);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        throw new CliError(
          `--limit must be a positive whole number, not ${JSON.stringify(flags.limit)}`,
          ExitCode.usage,
        );
      }
      const query = {
        ...(flags.action ? { action: flags.action } : {}),
        ...(flags.actor ? { actor: flags.actor } : {}),
        ...(flags.outcome ? { outcome: flags.outcome as AuditEntry["outcome"] } : {}),
      };
      const shown: AuditEntry[] = [];
      for await (const entry of clientFrom(options).audit.entries({
        ...query,
        limit: Math.min(limit, 500),
      })) {
        shown.push(entry);
        if (shown.length >= limit) break;
      }
      createOutput(Boolean(options.json)).result(shown, () =>
        shown.length === 0
          ? "No audit entries match."
          : table(
              ["SEQ", "AT", "ACTOR", "ACTION", "TARGET", "OUTCOME", "STATUS", "FROM"],
              shown.map((e) => [
                String(e.seq),
                e.at,
                e.actor_name,
                e.action,
                e.target_id ?? "-",
                e.outcome,
                String(e.status),
                e.source_ip,
              ]),
            ),
      );
    });

  audit
    .command("verify")
    .description("Check the hash chain; name the first entry that was altered or removed")
    .action(async (_options: unknown, command: Command) => {
      const options = globals(command);
      const result = await clientFrom(options).audit.verify();
      if (!result.ok && result.first_broken) {
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        throw new CliError(
          `Audit log BROKEN at entry ${result.first_broken.seq}${result.first_broken.id ? ` (${result.first_broken.id})` : ""}: ${result.first_broken.reason}. ${result.checked} entries before it are intact.`,
          ExitCode.failure,
        );
      }
      createOutput(Boolean(options.json)).result(
        result,
        () => `Audit log intact: ${result.checked} entries verified.`,
      );
    });
}
