import type { Config, Runtime } from "@symbiont/runtime";
import type { Command } from "commander";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, type Output } from "../output.js";

interface UpOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  databaseUrl?: string;
  logLevel?: string;
}

function flagsOf(options: UpOptions): Partial<Record<keyof Config, unknown>> {
  return {
    host: options.host,
    port: options.port,
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    logLevel: options.logLevel,
  };
}

function describeStartFailure(error: unknown, config: Config): CliError {
  const err = error as NodeJS.ErrnoException;
  if (err.code === "EADDRINUSE") {
    return new CliError(
      `Port ${config.port} on ${config.host} is already in use. Stop the other process or choose another port with --port.`,
    );
  }
  if (err.code === "EACCES") {
    return new CliError(
      `Not allowed to listen on ${config.host}:${config.port}. Use a port above 1023 (--port).`,
    );
  }
  if (err.name === "MigrationError" || config.databaseUrl) {
    const where = config.databaseUrl
      ? "the Postgres database given by databaseUrl"
      : `the data directory ${config.dataDir}`;
    return new CliError(`Could not open ${where}: ${err.message}`);
  }
  return new CliError(`Could not start: ${err.message}`);
}

function printBanner(out: Output, runtime: Runtime): void {
  if (out.json) {
    process.stdout.write(
      `${JSON.stringify({ event: "ready", api_url: runtime.apiUrl, docs_url: runtime.docsUrl ?? null, data: runtime.store.location, admin_key: runtime.firstAdminKey ?? null })}\n`,
    );
    return;
  }
  const lines = [
    "",
    "Symbiont is running",
    `  API    ${runtime.apiUrl}`,
    ...(runtime.docsUrl ? [`  Docs   ${runtime.docsUrl}`] : []),
    `  Data   ${runtime.store.location}`,
  ];
  if (runtime.firstAdminKey) {
    lines.push(
      "",
      "  First start: an admin API key was created. It is shown this once and stored only as a hash:",
      "",
      `    ${runtime.firstAdminKey}`,
      "",
      "  Use it from another terminal:",
      `    export SYMBIONT_API_KEY=${runtime.firstAdminKey}`,
      `    export SYMBIONT_BASE_URL=${runtime.apiUrl}`,
      "    symbiont agents list",
    );
  }
  lines.push("", "Press Ctrl+C to stop.", "");
  process.stdout.write(lines.join("\n"));
}

async function up(options: UpOptions, json: boolean): Promise<void> {
  // Loaded here rather than at the top so the client commands don't pay for loading the server.
  const { ConfigError, loadConfig, redactConfig, startRuntime } = await import("@symbiont/runtime");
  const out = createOutput(json);
  const sources = { configFile: options.config, flags: flagsOf(options) };
  let config: Config;
  try {
    config = loadConfig(sources);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, ExitCode.usage);
    throw error;
  }

  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, { loadConfig: () => loadConfig(sources) });
  } catch (error) {
    throw describeStartFailure(error, config);
  }
  let stopping = false;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = async (signal: string) => {
    if (stopping) {
      out.error(`Received ${signal} again: exiting without waiting.`);
      process.exit(ExitCode.failure);
    }
    stopping = true;
    out.info(`\nReceived ${signal}: finishing in-flight requests, then closing the database…`);
    const deadline = setTimeout(() => {
      out.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms (shutdownTimeoutMs): exiting.`);
      process.exit(ExitCode.failure);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    await runtime.close();
    out.info("Stopped.");
    stopped();
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGHUP", () => {
    runtime.reload().then(
      (result) => runtime.log.info({ ...result }, "SIGHUP: configuration reloaded"),
      (error: Error) =>
        runtime.log.error(
          { err: error.message },
          "SIGHUP: configuration not reloaded; the running one stays",
        ),
    );
  });
  // Announce readiness only once the signal handlers are in place: a SIGHUP sent right after the
  // ready line would otherwise hit Node's default action and terminate the process.
  printBanner(out, runtime);
  runtime.log.debug({ config: redactConfig(runtime.config()) }, "effective configuration");
  // The command lasts as long as the server: it returns once a signal has stopped it cleanly.
  await done;
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("Start the runtime: HTTP API, docs and the embedded database, with zero setup")
    .option("--host <host>", "address to listen on (SYMBIONT_HOST; default 127.0.0.1, use 0.0.0.0 for all)")
    .option("--port <port>", "port to listen on (SYMBIONT_PORT; default 8080, 0 picks a free one)")
    .option("--data-dir <dir>", "where the embedded database lives (SYMBIONT_DATA_DIR; default ./.symbiont)")
    .option("--config <file>", "config file (default: symbiont.yaml, symbiont.yml or symbiont.json here)")
    .option("--database-url <url>", "use Postgres instead of SQLite (SYMBIONT_DATABASE_URL)")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (SYMBIONT_LOG_LEVEL)")
    .addHelpText(
      "after",
      `
Settings come from, lowest to highest: defaults, the config file, SYMBIONT_* environment
variables, these flags. SIGHUP (or POST /api/v1/admin/config/reload) re-reads them and applies
the reloadable ones (logLevel). The first start prints an admin API key once; set
SYMBIONT_API_KEY to choose the key yourself instead.

Examples:
  symbiont up
  symbiont up --port 9000 --data-dir /var/lib/symbiont
  SYMBIONT_DATABASE_URL=postgres://localhost/symbiont symbiont up`,
    )
    .action(async (options: UpOptions, command: Command) => {
      await up(options, Boolean(command.optsWithGlobals().json));
    });
}
