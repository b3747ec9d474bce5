/** Child-process and temp-dir helpers: every child and dir made here is tracked so `cleanup()` can end them all. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "packages/cli/dist/bin.js");

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const stderrTails = new WeakMap<ChildProcess, string>();

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "symbiont-bench-"));
  tempDirs.add(dir);
  return dir;
}

/** A tracked `node <args>` child with piped stdout/stderr; stderr's tail is kept for error messages. */
export function spawnNode(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const { cwd = ROOT, env = process.env } = options;
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrTails.set(child, ((stderrTails.get(child) ?? "") + chunk.toString()).slice(-2000));
  });
  return child;
}

function stderrTail(child: ChildProcess): string {
  return stderrTails.get(child) ?? "";
}

/**
 * Resolves with the first stdout line that parses as JSON with `"event": "ready"`. Other lines
 * (pino logs) are ignored; stdout keeps being drained afterwards so the child never blocks on it.
 */
export function waitForReady<T extends { event: string }>(
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`no ready line within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`child exited (code ${code}, signal ${signal}) before ready: ${stderrTail(child)}`));
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.removeAllListeners("line");
      reject(error);
    };
    child.once("exit", onExit);
    lines.on("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if ((parsed as { event?: unknown }).event !== "ready") return;
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.removeAllListeners("line");
      lines.on("line", () => {});
      resolve(parsed as T);
    });
  });
}

/** The environment minus SYMBIONT_* variables, so the caller's shell cannot change what is measured. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SYMBIONT_")));
}

export interface RuntimeReady {
  event: "ready";
  api_url: string;
  admin_key: string | null;
}

/**
 * Rate limits so high that the load never reaches them, while every request still spends from its
 * budgets: what is measured is the runtime as deployed, limiter included, not a throttled one.
 */
export const UNREACHABLE_RATE_LIMITS = {
  SYMBIONT_RATE_LIMIT_READ_PER_MINUTE: "100000000",
  SYMBIONT_RATE_LIMIT_WRITE_PER_MINUTE: "100000000",
  SYMBIONT_RATE_LIMIT_IP_PER_MINUTE: "100000000",
  SYMBIONT_RATE_LIMIT_AUTH_PER_MINUTE: "100000000",
};

/** The shared secret the runtime under test accepts HS256 access tokens with. */
export const BENCH_JWT_SECRET = "bench-shared-secret-for-hs256-access-tokens";

/** Starts `symbiont up` on a free port with the given data dir (cwd there too, so no stray config file applies). */
export function spawnRuntime(dataDir: string): ChildProcess {
  const args = [CLI, "up", "--port", "0", "--data-dir", dataDir, "--json", "--log-level", "warn"];
  return spawnNode(args, {
    cwd: dataDir,
    env: { ...cleanEnv(), ...UNREACHABLE_RATE_LIMITS, SYMBIONT_JWT_SECRET: BENCH_JWT_SECRET },
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. Resolves once it has exited. */
export function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Ends every tracked child and removes every tracked temp dir. Safe to call more than once. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs.clear();
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is no /proc. */
export async function cpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samples: number[]): {
  runs: number;
  min: number;
  median: number;
  p90: number;
  max: number;
  samples: number[];
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    runs: sorted.length,
    min: round(sorted[0]!),
    median: round(median),
    p90: round(percentile(sorted, 90)),
    max: round(sorted.at(-1)!),
    samples: samples.map((sample) => round(sample)),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
