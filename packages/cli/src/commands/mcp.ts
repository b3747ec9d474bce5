import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

/** `KEY=VALUE` pairs from repeated flags. */
function pairs(flag: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values ?? []) {
    const at = entry.indexOf("=");
    if (at <= 0) throw new CliError(`${flag} takes KEY=VALUE, not ${JSON.stringify(entry)}`, ExitCode.usage);
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function argumentsFrom(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('--args must be a JSON object, e.g. \'{"path":"/tmp"}\'', ExitCode.usage);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new CliError("--args must be a JSON object", ExitCode.usage);
  return parsed as Record<string, unknown>;
}

export function registerMcpCommands(program: Command): void {
  const mcp = program
    .command("mcp")
    .description("Register and connect MCP servers, list their tools and resources, call tools")
    .addHelpText(
      "after",
      `
Examples:
  symbiont mcp add memory -- npx -y @modelcontextprotocol/server-memory
  symbiont mcp add github --env GITHUB_TOKEN=secret://github-token -- npx -y @modelcontextprotocol/server-github
  symbiont mcp add remote --url https://mcp.example.com/mcp --header "Authorization=secret://remote-token"
  symbiont mcp connect memory --wait
  symbiont mcp tools --server memory
  symbiont mcp call memory read_graph --args '{}'

A newly connected server's tools are submitted for review (symbiont review list --server NAME);
a tool can be called only once its current definition is approved and signed.`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  mcp
    .command("add <name> [command...]")
    .description("Register a server: a command after --, or --url for Streamable HTTP; does not start it")
    .option("--env <KEY=VALUE>", "environment variable (repeatable); values may be secret://name", collect)
    .option("--cwd <dir>", "working directory of the server process")
    // Not --timeout: that is the global request timeout (ms), which optsWithGlobals would mix up.
    .option("--timeout-seconds <seconds>", "the server's handshake and per-request timeout", "30")
    .option("--url <url>", "a Streamable HTTP server instead of a command")
    .option("--header <KEY=VALUE>", "HTTP header (repeatable); values may be secret://name", collect)
    .action(
      async (
        name: string,
        argv: string[],
        flags: { env?: string[]; cwd?: string; timeoutSeconds: string; url?: string; header?: string[] },
        command: Command,
      ) => {
        const options = globals(command);
        if (!/^\d+$/.test(flags.timeoutSeconds))
          throw new CliError("--timeout-seconds must be whole seconds", ExitCode.usage);
        const added = await clientFrom(options).mcp.add({
          name,
          command: argv,
          env: pairs("--env", flags.env),
          cwd: flags.cwd ?? null,
          timeout_seconds: Number(flags.timeoutSeconds),
          url: flags.url ?? null,
          headers: pairs("--header", flags.header),
        });
        createOutput(Boolean(options.json)).result(
          added,
          () => `Registered MCP server ${name} (not connected yet)`,
        );
      },
    );

  mcp
    .command("list")
    .description("Servers and their connection status")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const servers = await clientFrom(options).mcp.list();
      createOutput(Boolean(options.json)).result(servers, () =>
        servers.length === 0
          ? "No MCP servers"
          : table(
              ["NAME", "STATUS", "TOOLS", "RESOURCES", "PID", "LAST ERROR"],
              servers.map((s) => [
                s.server_name,
                s.status,
                String(s.tools_count),
                String(s.resources_count),
                s.pid === undefined ? "" : String(s.pid),
                s.last_error ?? "",
              ]),
            ),
      );
    });

  mcp
    .command("get <name>")
    .description("One server's status")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const info = await clientFrom(options).mcp.get(name);
      createOutput(Boolean(options.json)).result(info, () =>
        [
          `${info.server_name}: ${info.status}`,
          info.url ? `url: ${info.url}` : `command: ${info.command.join(" ")}`,
          `tools: ${info.tools_count}, resources: ${info.resources_count}`,
          ...(info.pid !== undefined ? [`pid: ${info.pid}`] : []),
          ...(info.connected_at ? [`connected at: ${info.connected_at}`] : []),
          ...(info.last_error ? [`last error: ${info.last_error}`] : []),
        ].join("\n"),
      );
    });

  mcp
    .command("connect <name>")
    .description("Start and connect a server")
    .option("--wait", "wait until it is connected (or failed)")
    .action(async (name: string, flags: { wait?: boolean }, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const started = await client.mcp.connect(name);
      const result = flags.wait
        ? await client.mcp.waitUntilConnected(name).catch((error: Error) => {
            throw new CliError(error.message, ExitCode.failure);
          })
        : started;
      createOutput(Boolean(options.json)).result(result, () => `${name}: ${result.status}`);
    });

  mcp
    .command("disconnect <name>")
    .description("Disconnect a server and stop its process")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const result = await clientFrom(options).mcp.disconnect(name);
      createOutput(Boolean(options.json)).result(result, () => `${name}: disconnected`);
    });

  mcp
    .command("tools")
    .description("Tools of connected servers and whether each may be called")
    .option("--server <name>", "only this server's")
    .action(async (flags: { server?: string }, command: Command) => {
      const options = globals(command);
      const tools = await clientFrom(options).mcp.tools(flags.server);
      createOutput(Boolean(options.json)).result(tools, () =>
        tools.length === 0
          ? "No tools (is the server connected?)"
          : table(
              ["SERVER", "TOOL", "CALLABLE", "REVIEW", "DESCRIPTION"],
              tools.map((t) => [
                t.server_name,
                t.name,
                t.verified ? "yes" : "no",
                t.review_status ?? "none",
                t.description,
              ]),
            ),
      );
    });

  mcp
    .command("resources")
    .description("Resources of connected servers")
    .option("--server <name>", "only this server's")
    .action(async (flags: { server?: string }, command: Command) => {
      const options = globals(command);
      const resources = await clientFrom(options).mcp.resources(flags.server);
      createOutput(Boolean(options.json)).result(resources, () =>
        resources.length === 0
          ? "No resources"
          : table(
              ["SERVER", "URI", "NAME", "MIME TYPE"],
              resources.map((r) => [r.server_name, r.uri, r.name ?? "", r.mime_type ?? ""]),
            ),
      );
    });

  mcp
    .command("call <server> <tool>")
    .description("Call a tool (only if its current definition is signed)")
    .option("--args <json>", "arguments as a JSON object", "{}")
    .action(async (server: string, tool: string, flags: { args: string }, command: Command) => {
      const options = globals(command);
      const result = await clientFrom(options).mcp.call(server, tool, argumentsFrom(flags.args));
      createOutput(Boolean(options.json)).result(result, () => {
        const content = result.content;
        const text = Array.isArray(content)
          ? content
              .map((c) =>
                c && typeof c === "object" && (c as { type?: string }).type === "text"
                  ? String((c as { text?: unknown }).text)
                  : JSON.stringify(c),
              )
              .join("\n")
          : JSON.stringify(content, null, 2);
        return result.is_error ? `The tool reported an error:\n${text}` : text;
      });
      if (result.is_error) process.exitCode = ExitCode.failure;
    });
}
