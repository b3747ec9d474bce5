import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const isolatedConfigDir = mkdtempSync(join(tmpdir(), "symbiont-cli-config-"));

export const CLI_BIN = fileURLToPath(new URL("../../packages/cli/bin/symbiont.js", import.meta.url));

export interface ReadyLine {
  event: "ready";
  api_url: string;
  docs_url: string | null;
  data: string;
  admin_key: string | null;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the --json ready line; rejects if the process exits first. */
  ready: Promise<ReadyLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real `symbiont` binary from dist, as a user runs it. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd,
    // Stored login sessions go to a directory of the test's, never the developer's own.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SYMBIONT_CONFIG_DIR: isolatedConfigDir,
      ...options.env,
    },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<ReadyLine>((resolve, reject) => {
    const look = () => {
      for (const line of out.split("\n")) {
        if (line.startsWith('{"event":"ready"')) return resolve(JSON.parse(line) as ReadyLine);
      }
    };
    child.stdout?.on("data", look);
    void exited.then(({ code }) =>
      reject(new Error(`symbiont exited with ${code} before ready:\n${out}\n${err}`)),
    );
  });
  ready.catch(() => {});
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    ready,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a short CLI command to completion. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnCli(args, options);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
