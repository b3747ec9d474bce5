import type { HttpInputConfigSpec } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { collect, filtersFrom, verificationFrom, wholeNumber } from "./webhook-flags.js";

/** `path:/github=triage`, `header:X-GitHub-Event:push=triage`, `json:repository.name:api=triage`. */
type RoutingRule = NonNullable<HttpInputConfigSpec["routing_rules"]>[number];

function ruleFrom(text: string): RoutingRule {
  const at = text.lastIndexOf("=");
  const agent = text.slice(at + 1);
  const condition = text.slice(0, at);
  const usage = `--route takes path:PREFIX=AGENT, header:NAME:VALUE=AGENT or json:FIELD:VALUE=AGENT, not ${JSON.stringify(text)}`;
  if (at <= 0 || agent === "") throw new CliError(usage, ExitCode.usage);
  const [kind, ...rest] = condition.split(":");
  if (kind === "path" && rest.length >= 1)
    return {
      condition_type: "path_prefix",
      condition_value: rest.join(":"),
      condition_target: null,
      agent_id: agent,
    };
  if ((kind === "header" || kind === "json") && rest.length >= 2)
    return {
      condition_type: kind === "header" ? "header_equals" : "json_field_equals",
      condition_target: rest[0] as string,
      condition_value: rest.slice(1).join(":"),
      agent_id: agent,
    };
  throw new CliError(usage, ExitCode.usage);
}

interface InputFlags {
  agent?: string;
  host?: string;
  port?: string;
  path?: string;
  authHeader?: string;
  jwtPublicKey?: string;
  maxBodyBytes?: string;
  concurrency?: string;
  route?: string[];
  forwardHeader?: string[];
  cors?: boolean;
  verify?: string;
  secret?: string;
  signatureHeader?: string;
  timestampHeader?: string;
  tolerance?: string;
  filter?: string[];
  status?: string;
}

function withConfigOptions(command: Command): Command {
  return command
    .option("--host <address>", "address to bind (default 0.0.0.0)")
    .option("--port <port>", "port to listen on (default 8081; 0 picks a free one)")
    .option("--path <path>", "where deliveries are posted (default /webhook)")
    .option("--auth-header <value>", "the exact Authorization header required; may be secret://NAME")
    .option(
      "--jwt-public-key <file>",
      "a PEM public key on the runtime's host; deliveries need a Bearer JWT it verifies",
    )
    .option("--max-body-bytes <n>", "largest body accepted (default 65536)")
    .option("--concurrency <n>", "deliveries handled at once; more get 503 (default 10)")
    .option(
      "--route <rule>",
      "path:PREFIX=AGENT, header:NAME:VALUE=AGENT or json:FIELD:VALUE=AGENT (repeatable, first match wins)",
      collect,
    )
    .option("--forward-header <name>", "pass this request header to the agent (repeatable)", collect)
    .option("--cors", "answer browsers' CORS preflights")
    .option("--verify <scheme>", "signed webhooks: github, stripe, slack, hmac or jwt")
    .option("--secret <ref>", "the signing secret as a reference, e.g. secret://github-hook")
    .option("--signature-header <name>", "hmac: the signature header; jwt: the token header")
    .option("--timestamp-header <name>", "hmac: a header with the Unix timestamp that is signed too")
    .option("--tolerance <seconds>", "how old a signed timestamp may be (default 300)")
    .option(
      "--filter <path=value>",
      "run the agent only when the JSON payload has this value (repeatable)",
      collect,
    );
}

function configFrom(
  flags: InputFlags,
  base: Partial<HttpInputConfigSpec> & { agent_id: string },
): HttpInputConfigSpec {
  const verification = verificationFrom(flags);
  return {
    ...base,
    ...(flags.host ? { bind_address: flags.host } : {}),
    ...(flags.port !== undefined ? { port: wholeNumber("--port", flags.port) } : {}),
    ...(flags.path ? { path: flags.path } : {}),
    ...(flags.authHeader ? { auth_header: flags.authHeader } : {}),
    ...(flags.jwtPublicKey ? { jwt_public_key_path: flags.jwtPublicKey } : {}),
    ...(flags.maxBodyBytes ? { max_body_bytes: wholeNumber("--max-body-bytes", flags.maxBodyBytes) } : {}),
    ...(flags.concurrency ? { concurrency: wholeNumber("--concurrency", flags.concurrency) } : {}),
    ...(flags.route ? { routing_rules: flags.route.map(ruleFrom) } : {}),
    ...(flags.forwardHeader ? { forward_headers: flags.forwardHeader } : {}),
    ...(flags.cors ? { cors_enabled: true } : {}),
    ...(verification ? { verification } : {}),
    ...(flags.filter ? { filters: filtersFrom(flags.filter) } : {}),
  };
}

export function registerInputCommands(program: Command): void {
  const inputs = program
    .command("inputs")
    .description("HTTP input servers: webhook listeners on their own ports that route deliveries to agents")
    .addHelpText(
      "after",
      `
Examples:
  symbiont inputs create --agent triage --port 9000 --path /github \\
      --verify github --secret secret://github-hook --route header:X-GitHub-Event:issues=issue-bot
  curl -X POST http://127.0.0.1:9000/github -H 'content-type: application/json' -d '{"action":"opened"}'
  symbiont inputs trigger ID --payload '{"action":"opened"}' --header X-GitHub-Event=issues
  symbiont inputs stop ID && symbiont inputs start ID
  symbiont inputs metrics ID

Servers that are running come back after a runtime restart. A port in use leaves the server in
status "error" with last_error saying so: pick another port with "symbiont inputs update ID --port N".`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  withConfigOptions(
    inputs
      .command("create")
      .description("Create and start a server")
      .requiredOption("--agent <id>", "the agent deliveries go to when no --route matches"),
  ).action(async (flags: InputFlags, command: Command) => {
    const options = globals(command);
    const info = await clientFrom(options).httpInputs.create(
      configFrom(flags, { agent_id: flags.agent as string }),
    );
    createOutput(Boolean(options.json)).result(info, () =>
      info.status === "running"
        ? `Created ${info.server_id}: listening on ${info.listening_url}`
        : `Created ${info.server_id} but it is not running: ${info.last_error ?? info.status}`,
    );
    if (info.status === "error")
      throw new CliError(
        `Server ${info.server_id} is stopped in status error; fix the config (symbiont inputs update ${info.server_id} --port N) and start it`,
        ExitCode.failure,
      );
  });

  inputs
    .command("list")
    .description("Your input servers")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).httpInputs.list();
      createOutput(Boolean(options.json)).result(list, () =>
        list.length === 0
          ? "No input servers (create one: symbiont inputs create --agent ID --port 9000)"
          : table(
              ["ID", "STATUS", "LISTENING", "AGENT", "REQUESTS", "LAST ERROR"],
              list.map((s) => [
                s.server_id,
                s.status,
                s.listening_url ?? "",
                String(s.config.agent_id),
                String(s.requests_processed),
                s.last_error ?? "",
              ]),
            ),
      );
    });

  inputs
    .command("get <id>")
    .description("One server with its full config")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const info = await clientFrom(options).httpInputs.get(id);
      createOutput(Boolean(options.json)).result(info, () =>
        [
          `${info.server_id}: ${info.status}${info.listening_url ? ` on ${info.listening_url}` : ""}`,
          ...(info.last_error ? [`last error: ${info.last_error}`] : []),
          JSON.stringify(info.config, null, 2),
        ].join("\n"),
      );
    });

  withConfigOptions(
    inputs
      .command("update <id>")
      .description("Change a server's config (options left out keep their value); a running server restarts")
      .option("--agent <id>", "the default agent"),
  ).action(async (id: string, flags: InputFlags, command: Command) => {
    const options = globals(command);
    const client = clientFrom(options).httpInputs;
    const current = (await client.get(id)).config as unknown as HttpInputConfigSpec;
    const info = await client.update(
      id,
      configFrom(flags, { ...current, agent_id: flags.agent ?? current.agent_id }),
    );
    createOutput(Boolean(options.json)).result(
      info,
      () => `Updated ${id}: ${info.status}${info.last_error ? ` (${info.last_error})` : ""}`,
    );
  });

  for (const [name, description] of [
    ["start", "Bind the port and serve"],
    ["stop", "Release the port"],
  ] as const) {
    inputs
      .command(`${name} <id>`)
      .description(description)
      .action(async (id: string, _flags: unknown, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options).httpInputs;
        const result = name === "start" ? await client.start(id) : await client.stop(id);
        createOutput(Boolean(options.json)).result(result, () => `${id}: ${result.status}`);
      });
  }

  inputs
    .command("delete <id>")
    .description("Stop and forget a server")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const result = await clientFrom(options).httpInputs.delete(id);
      createOutput(Boolean(options.json)).result(result, () => `Deleted ${id}`);
    });

  inputs
    .command("trigger <id>")
    .description("Deliver a payload through the API, routed and run as a real delivery")
    .requiredOption("--payload <json>", "the JSON object delivered")
    .option("--header <NAME=VALUE>", "a delivery header, for routing rules (repeatable)", collect)
    .action(async (id: string, flags: { payload: string; header?: string[] }, command: Command) => {
      const options = globals(command);
      let payload: unknown;
      try {
        payload = JSON.parse(flags.payload);
      } catch {
        throw new CliError('--payload must be a JSON object, e.g. \'{"action":"opened"}\'', ExitCode.usage);
      }
      if (!payload || typeof payload !== "object" || Array.isArray(payload))
        throw new CliError("--payload must be a JSON object", ExitCode.usage);
      const headers: Record<string, string> = {};
      for (const entry of flags.header ?? []) {
        const at = entry.indexOf("=");
        if (at <= 0)
          throw new CliError(`--header takes NAME=VALUE, not ${JSON.stringify(entry)}`, ExitCode.usage);
        headers[entry.slice(0, at)] = entry.slice(at + 1);
      }
      const result = await clientFrom(options).httpInputs.trigger(
        id,
        payload as Record<string, unknown>,
        headers,
      );
      createOutput(Boolean(options.json)).result(
        result,
        () =>
          `${result.status} (${result.response_code}) by agent ${result.agent_id}: ${JSON.stringify(result.response_body)}`,
      );
    });

  inputs
    .command("metrics <id>")
    .description("Requests processed and failed, latency and uptime")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const m = await clientFrom(options).httpInputs.metrics(id);
      createOutput(Boolean(options.json)).result(
        m,
        () =>
          `requests: ${m.requests_processed} (${m.requests_failed} failed), active: ${m.active_connections}, avg latency: ${m.average_latency_ms} ms, uptime: ${m.uptime_seconds} s`,
      );
    });
}
