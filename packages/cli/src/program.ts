import { Command, CommanderError } from "commander";
import { describeClientError } from "./client-errors.js";
import { registerAgentCommands } from "./commands/agents.js";
import { registerAuditCommands } from "./commands/audit.js";
import { registerAuthCommands } from "./commands/auth.js";
import { registerDeploymentCommands } from "./commands/deployments.js";
import { registerDslCommands } from "./commands/dsl.js";
import { registerEndpointCommands } from "./commands/endpoints.js";
import { registerInputCommands } from "./commands/inputs.js";
import { registerKeyCommands } from "./commands/keys.js";
import { registerKnowledgeCommands } from "./commands/knowledge.js";
import { registerMcpCommands } from "./commands/mcp.js";
import { registerMemoryCommands } from "./commands/memory.js";
import { registerPolicyCommands } from "./commands/policies.js";
import { registerReviewCommands } from "./commands/review.js";
import { registerRoleCommands } from "./commands/roles.js";
import { registerRunCommands } from "./commands/runs.js";
import { registerScheduleCommands } from "./commands/schedules.js";
import { registerSecretCommands } from "./commands/secrets.js";
import { registerTenantCommands } from "./commands/tenants.js";
import { registerUpCommand } from "./commands/up.js";
import { registerUserCommands } from "./commands/users.js";
import { registerVectorCommands } from "./commands/vectors.js";
import { registerWorkflowCommands } from "./commands/workflows.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { createOutput } from "./output.js";
import { CLI_VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("symbiont")
    .description(
      "Symbiont: a self-hosted runtime for AI agents.\nStart it with `symbiont up`, then manage it with the other commands.",
    )
    .version(CLI_VERSION, "-v, --version")
    .option("--url <url>", "runtime API base URL (SYMBIONT_BASE_URL; default http://localhost:8080/api/v1)")
    .option(
      "--api-key <key>",
      "API key (SYMBIONT_API_KEY; prefer the variable: flags end up in shell history). Without one, the session of `symbiont login`",
    )
    .option("--timeout <ms>", "per-request timeout in milliseconds (SYMBIONT_TIMEOUT)")
    .option("--json", "print machine-readable JSON instead of text")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `
Quick start:
  symbiont up                          # terminal 1: start the runtime; note the admin key it prints
  export SYMBIONT_API_KEY=sym_...      # terminal 2
  symbiont agents create helper --model llama3.2 --system-prompt "You help."
  symbiont agents list
  symbiont users create alice --role operator
  symbiont login -u alice              # then commands act as alice when no API key is set

Every command takes --json. Exit codes: 0 ok, 1 failure, 2 usage, 3 runtime unreachable,
4 not authenticated, 5 not found, 6 conflict.`,
    );
  registerUpCommand(program);
  registerAgentCommands(program);
  registerAuthCommands(program);
  registerKeyCommands(program);
  registerUserCommands(program);
  registerRoleCommands(program);
  registerTenantCommands(program);
  registerAuditCommands(program);
  registerSecretCommands(program);
  registerDslCommands(program);
  // After dsl: it adds `dsl deploy` to that group.
  registerDeploymentCommands(program);
  registerMemoryCommands(program);
  registerKnowledgeCommands(program);
  registerVectorCommands(program);
  registerMcpCommands(program);
  registerReviewCommands(program);
  registerRunCommands(program);
  registerPolicyCommands(program);
  registerEndpointCommands(program);
  registerInputCommands(program);
  registerScheduleCommands(program);
  registerWorkflowCommands(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.exitCode === 0
        ? ExitCode.ok
        : ExitCode.usage;
    }
    const json = argv.includes("--json");
    const out = createOutput(json);
    const failure = error instanceof CliError ? error : describeClientError(error, program.opts());
    out.error(failure.message);
    return failure.exitCode;
  }
}
