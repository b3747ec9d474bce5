import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { collect, filtersFrom, verificationFrom, wholeNumber } from "./webhook-flags.js";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;
type Method = (typeof METHODS)[number];

function methodOf(value: string | undefined): Method | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!METHODS.includes(upper as Method))
    throw new CliError(`--method takes one of ${METHODS.join(", ")}`, ExitCode.usage);
  return upper as Method;
}

interface EndpointFlags {
  method?: string;
  agent?: string;
  description?: string;
  public?: boolean;
  rateLimit?: string;
  timeoutSeconds?: string;
  verify?: string;
  secret?: string;
  signatureHeader?: string;
  timestampHeader?: string;
  tolerance?: string;
  filter?: string[];
}

function withEndpointOptions(command: Command): Command {
  return command
    .option("--description <text>", "what the endpoint is for")
    .option("--public", "no bearer credential needed (anyone who knows the URL may call it)")
    .option("--rate-limit <n>", "requests a minute the endpoint accepts")
    .option("--timeout-seconds <n>", "how long a request waits for the agent before answering 202")
    .option("--verify <scheme>", "signed webhooks: github, stripe, slack, hmac or jwt")
    .option("--secret <ref>", "the signing secret as a reference, e.g. secret://github-hook")
    .option(
      "--signature-header <name>",
      "hmac: the signature header (default X-Signature); jwt: the token header",
    )
    .option("--timestamp-header <name>", "hmac: a header with the Unix timestamp that is signed too")
    .option("--tolerance <seconds>", "how old a signed timestamp may be (default 300)")
    .option(
      "--filter <path=value>",
      "trigger only when the JSON payload has this value (repeatable)",
      collect,
    );
}

export function registerEndpointCommands(program: Command): void {
  const endpoints = program
    .command("endpoints")
    .description("Mount routes under /hooks on the runtime that run an agent on each request")
    .addHelpText(
      "after",
      `
Examples:
  symbiont endpoints create /summarise --agent summariser --method POST
  curl -X POST http://127.0.0.1:8080/hooks/summarise -H "Authorization: Bearer $SYMBIONT_API_KEY" \\
       -H 'content-type: application/json' -d '{"text":"..."}'

  printf %s "$GITHUB_WEBHOOK_SECRET" | symbiont secrets set github-hook
  symbiont endpoints create /github/push --agent triage --verify github --secret secret://github-hook \\
       --filter action=opened
  (point GitHub's webhook at https://YOUR-HOST/hooks/github/push, content type application/json)

  symbiont endpoints disable ID      # answers 404 until enabled again
  symbiont endpoints metrics ID

A request waits for the agent's answer up to --timeout-seconds (then 202 with the run id);
send "Prefer: respond-async" for 202 at once. Signed endpoints refuse forged, stale and replayed
deliveries with 401.`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  withEndpointOptions(
    endpoints
      .command("create <path>")
      .description("Mount an endpoint at /hooks<path>")
      .requiredOption("--agent <id>", "the agent each request runs")
      .option("--method <method>", "HTTP method", "POST"),
  ).action(async (path: string, flags: EndpointFlags, command: Command) => {
    const options = globals(command);
    const verification = verificationFrom(flags);
    const created = await clientFrom(options).endpoints.create({
      path,
      method: methodOf(flags.method) ?? "POST",
      agent_id: flags.agent as string,
      description: flags.description ?? null,
      auth_required: !flags.public,
      rate_limit: wholeNumber("--rate-limit", flags.rateLimit) ?? null,
      timeout_seconds: wholeNumber("--timeout-seconds", flags.timeoutSeconds) ?? 30,
      verification: verification ?? null,
      filters: filtersFrom(flags.filter),
    });
    createOutput(Boolean(options.json)).result(
      created,
      () =>
        `Created ${created.endpoint_id}: ${created.endpoint_info.method} ${created.endpoint_info.url_path}`,
    );
  });

  endpoints
    .command("list")
    .description("Your endpoints")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).endpoints.list();
      createOutput(Boolean(options.json)).result(list, () =>
        list.length === 0
          ? "No endpoints (create one: symbiont endpoints create /path --agent ID)"
          : table(
              ["ID", "METHOD", "URL PATH", "AGENT", "STATUS", "AUTH", "REQUESTS"],
              list.map((e) => [
                e.endpoint_id,
                e.method,
                e.url_path,
                e.agent_id,
                e.status,
                e.verification ? `signed (${e.verification.scheme})` : e.auth_required ? "bearer" : "public",
                String(e.metrics?.total_requests ?? 0),
              ]),
            ),
      );
    });

  endpoints
    .command("get <id>")
    .description("One endpoint")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const info = await clientFrom(options).endpoints.get(id);
      createOutput(Boolean(options.json)).result(info, () =>
        [
          `${info.method} ${info.url_path} -> agent ${info.agent_id} (${info.status})`,
          `auth: ${info.verification ? `signed (${info.verification.scheme}, ${info.verification.secret})` : info.auth_required ? "bearer credential" : "public"}`,
          ...(info.rate_limit ? [`rate limit: ${info.rate_limit}/min`] : []),
          ...info.filters.map((f) => `filter: ${f.path} = ${JSON.stringify(f.equals)}`),
          `created by ${info.created_by} at ${info.created_at}`,
        ].join("\n"),
      );
    });

  withEndpointOptions(
    endpoints
      .command("update <id>")
      .description("Change an endpoint; options left out stay as they are")
      .option("--path <path>", "a new path below /hooks")
      .option("--method <method>", "a new HTTP method")
      .option("--agent <id>", "another agent")
      .option("--require-auth", "require a bearer credential again"),
  ).action(
    async (id: string, flags: EndpointFlags & { path?: string; requireAuth?: boolean }, command: Command) => {
      const options = globals(command);
      const verification = verificationFrom(flags);
      const filters = flags.filter ? filtersFrom(flags.filter) : null;
      const updated = await clientFrom(options).endpoints.update(id, {
        path: flags.path ?? null,
        method: methodOf(flags.method) ?? null,
        agent_id: flags.agent ?? null,
        description: flags.description ?? null,
        auth_required: flags.public ? false : flags.requireAuth ? true : null,
        rate_limit: wholeNumber("--rate-limit", flags.rateLimit) ?? null,
        timeout_seconds: wholeNumber("--timeout-seconds", flags.timeoutSeconds) ?? null,
        verification: verification ?? null,
        filters,
      });
      createOutput(Boolean(options.json)).result(
        updated,
        () => `Updated ${id}: ${updated.message ?? updated.status}`,
      );
    },
  );

  for (const [name, description] of [
    ["enable", "Serve the endpoint again"],
    ["disable", "Stop serving the endpoint (it answers 404)"],
  ] as const) {
    endpoints
      .command(`${name} <id>`)
      .description(description)
      .action(async (id: string, _flags: unknown, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options).endpoints;
        const result = name === "enable" ? await client.enable(id) : await client.disable(id);
        createOutput(Boolean(options.json)).result(result, () => `${id}: ${result.status}`);
      });
  }

  endpoints
    .command("delete <id>")
    .description("Unmount and forget an endpoint")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const result = await clientFrom(options).endpoints.delete(id);
      createOutput(Boolean(options.json)).result(result, () => `Deleted ${id}`);
    });

  endpoints
    .command("metrics <id>")
    .description("Requests, errors and latency of an endpoint (on the node that answers)")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const m = await clientFrom(options).endpoints.metrics(id);
      createOutput(Boolean(options.json)).result(m, () =>
        [
          `requests: ${m.total_requests} (${m.successful_requests} ok, ${m.failed_requests} failed, ${m.error_rate_percent}% errors)`,
          `last minute: ${m.requests_per_minute}`,
          `latency ms: avg ${m.average_response_time_ms}, p50 ${m.p50_response_time_ms}, p95 ${m.p95_response_time_ms}, p99 ${m.p99_response_time_ms}, max ${m.max_response_time_ms}`,
          `last request: ${m.last_request_at ?? "never"}`,
        ].join("\n"),
      );
    });
}
