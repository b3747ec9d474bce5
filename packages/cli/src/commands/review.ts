import { readFileSync } from "node:fs";
import type { ToolDefinitionInput } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions, targetApiUrl } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

/**
 * A tool definition from a JSON file (`-` for stdin): name, description, and the schema under
 * `schema`, `tool_schema` or MCP's `inputSchema`; the provider from the file or --provider.
 */
function toolFrom(path: string, provider: string | undefined): ToolDefinitionInput {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(path === "-" ? 0 : path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      `Could not read a JSON tool definition from ${path}: ${(error as Error).message}`,
      ExitCode.usage,
    );
  }
  const schema = parsed.schema ?? parsed.tool_schema ?? parsed.inputSchema;
  if (typeof parsed.name !== "string" || typeof schema !== "object" || schema === null)
    throw new CliError(
      `${path} must hold {"name", "description", "schema" (or inputSchema)}`,
      ExitCode.usage,
    );
  const fileProvider = parsed.provider as { name?: string; public_key_url?: string } | string | undefined;
  const providerName = provider ?? (typeof fileProvider === "string" ? fileProvider : fileProvider?.name);
  if (!providerName)
    throw new CliError("Name the provider: --provider <name> or provider in the file", ExitCode.usage);
  return {
    name: parsed.name,
    description: typeof parsed.description === "string" ? parsed.description : "",
    schema: schema as Record<string, unknown>,
    provider: {
      name: providerName,
      public_key_url: typeof fileProvider === "object" ? (fileProvider.public_key_url ?? null) : null,
    },
  };
}

export function registerReviewCommands(program: Command): void {
  const review = program
    .command("review")
    .description("Review tools: submit, read the analysis, approve or reject, sign, verify")
    .addHelpText(
      "after",
      `
Examples:
  symbiont review submit tool.json --provider acme --wait
  symbiont review list --status pending_review
  symbiont review show <review_id>
  symbiont review approve <review_id> --comment "read the code"
  symbiont review sign <review_id>
  symbiont review verify <review_id>
  symbiont review verify --file tool.json --signature <base64> --well-known https://acme.example/.well-known/schemapin.json

Deciding and signing need the tools:review permission (admin has it; write does not).`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  review
    .command("submit <file>")
    .description("Submit a tool definition (JSON file, - for stdin) for analysis and review")
    .option("--provider <name>", "who provides the tool")
    .option("--submitted-by <name>", "recorded as the author", "cli")
    .option("--priority <priority>", "low, normal, high or critical", "normal")
    .option("--wait", "wait for the analysis and print the session")
    .action(
      async (
        file: string,
        flags: { provider?: string; submittedBy: string; priority: string; wait?: boolean },
        command: Command,
      ) => {
        const options = globals(command);
        const client = clientFrom(options);
        const priority = flags.priority as "low" | "normal" | "high" | "critical";
        const submitted = await client.toolReview.submit(
          toolFrom(file, flags.provider),
          flags.submittedBy,
          priority,
        );
        let result: unknown = submitted;
        if (flags.wait) {
          for (let i = 0; i < 600; i++) {
            const session = await client.toolReview.get(submitted.review_id);
            result = session;
            if (!["submitted", "pending_analysis", "analyzing"].includes(session.status)) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        createOutput(Boolean(options.json)).result(result, () => {
          const session = result as { review_id: string; status: string; risk_score?: number | null };
          return `Review ${session.review_id}: ${session.status}${session.risk_score == null ? "" : `, risk ${session.risk_score}/100`}`;
        });
      },
    );

  review
    .command("list")
    .description("Review sessions, newest first")
    .option("--status <status>", "only this status")
    .option("--author <name>", "only sessions submitted by this name")
    .option("--server <name>", "only tools of this MCP server")
    .option("--page <n>", "page, from 1", "1")
    .option("--limit <n>", "sessions per page", "20")
    .action(
      async (
        flags: { status?: string; author?: string; server?: string; page: string; limit: string },
        command: Command,
      ) => {
        const options = globals(command);
        const list = await clientFrom(options).toolReview.list({
          page: flags.page,
          limit: flags.limit,
          ...(flags.status ? { status: flags.status as never } : {}),
          ...(flags.author ? { author: flags.author } : {}),
          ...(flags.server ? { server: flags.server } : {}),
        });
        createOutput(Boolean(options.json)).result(list, () =>
          list.sessions.length === 0
            ? "No review sessions"
            : `${table(
                ["REVIEW", "TOOL", "STATUS", "RISK", "SERVER", "SUBMITTED"],
                list.sessions.map((s) => [
                  s.review_id,
                  s.tool.name,
                  s.status,
                  s.risk_score === null ? "" : String(s.risk_score),
                  s.mcp_server ?? "",
                  s.submitted_at,
                ]),
                64,
              )}\npage ${list.pagination.page}, ${list.pagination.total} in all`,
        );
      },
    );

  review
    .command("show <review_id>")
    .description("A session with its analysis findings")
    .action(async (reviewId: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const session = await client.toolReview.get(reviewId);
      const analysis = session.state.analysis_id
        ? await client.toolReview.analysis(session.state.analysis_id)
        : null;
      createOutput(Boolean(options.json)).result({ session, analysis }, () =>
        [
          `${session.tool.name} (${session.tool.provider.name}): ${session.status}`,
          `submitted by ${session.submitted_by} at ${session.submitted_at}`,
          ...(analysis ? [`risk score: ${analysis.risk_score}/100`] : ["analysis: pending"]),
          ...(analysis?.findings.length
            ? [
                table(
                  ["SEVERITY", "RULE", "WHERE", "FINDING", "EVIDENCE"],
                  analysis.findings.map((f) => [f.severity, f.rule_id, f.location, f.title, f.evidence]),
                  60,
                ),
              ]
            : []),
          ...(session.decision_comments ? [`decision: ${session.decision_comments}`] : []),
        ].join("\n"),
      );
    });

  for (const decision of ["approve", "reject"] as const) {
    review
      .command(`${decision} <review_id>`)
      .description(
        decision === "approve" ? "Approve a tool awaiting review" : "Reject a tool awaiting review",
      )
      .option("--comment <text>", "why")
      .option("--reviewer <id>", "recorded as the reviewer", "cli")
      .action(async (reviewId: string, flags: { comment?: string; reviewer: string }, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options);
        const result = await client.toolReview[decision](reviewId, flags.reviewer, flags.comment ?? null);
        createOutput(Boolean(options.json)).result(result, () => `Review ${reviewId}: ${result.status}`);
      });
  }

  review
    .command("sign <review_id>")
    .description("Sign an approved tool with the runtime's SchemaPin key")
    .option("--key <key_id>", "signing key id", "default")
    .action(async (reviewId: string, flags: { key: string }, command: Command) => {
      const options = globals(command);
      const signed = await clientFrom(options).toolReview.sign(reviewId, flags.key);
      createOutput(Boolean(options.json)).result(
        signed,
        () => `Signed with ${signed.key_id}\nsignature: ${signed.signature}`,
      );
    });

  review
    .command("rotate-keys")
    .description("Revoke the runtime's signing keys and make a new one; signed tools need signing again")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const rotated = await clientFrom(options).toolReview.rotateSigningKeys();
      createOutput(Boolean(options.json)).result(
        rotated,
        () => `New signing key ${rotated.key_id}; revoked: ${rotated.revoked_key_ids.join(", ") || "none"}`,
      );
    });

  review
    .command("verify [review_id]")
    .description(
      "Verify a signature: a review's (against this runtime's keys) or a tool file's (against its signer's)",
    )
    .option("--file <path>", "a tool definition signed elsewhere")
    .option("--signature <base64>", "the signature of --file")
    .option(
      "--well-known <url>",
      "the signer's /.well-known/schemapin.json (default: the provider's public_key_url)",
    )
    .option("--accept-new-key", "re-pin a signer whose key changed (check it out of band first)")
    .action(
      async (
        reviewId: string | undefined,
        flags: { file?: string; signature?: string; wellKnown?: string; acceptNewKey?: boolean },
        command: Command,
      ) => {
        const options = globals(command);
        const client = clientFrom(options);
        let tool: ToolDefinitionInput;
        let signature: string;
        let wellKnown = flags.wellKnown;
        if (reviewId) {
          const signed = await client.toolReview.signed(reviewId);
          tool = { ...signed.tool, provider: { name: signed.tool.provider.name } };
          signature = signed.signature;
          wellKnown ??= `${new URL(targetApiUrl(options)).origin}/.well-known/schemapin.json`;
        } else {
          if (!flags.file || !flags.signature)
            throw new CliError("Give a review id, or --file and --signature", ExitCode.usage);
          tool = toolFrom(flags.file, undefined);
          signature = flags.signature;
        }
        const result = await client.toolReview.verify(tool, signature, {
          ...(wellKnown ? { wellKnownUrl: wellKnown } : {}),
          acceptNewKey: Boolean(flags.acceptNewKey),
        });
        createOutput(Boolean(options.json)).result(result, () =>
          result.valid
            ? `Valid: signed by ${result.signer} with ${result.key_id} (pin: ${result.pin})`
            : `NOT valid: ${result.reason}`,
        );
        if (!result.valid) process.exitCode = ExitCode.failure;
      },
    );
}
