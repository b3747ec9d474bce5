import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { SessionTokens } from "@symbiont/sdk";
import { CliError, ExitCode } from "./exit-codes.js";

/** A login session as `symbiont login` stores it, per runtime API URL. */
export interface StoredSession extends SessionTokens {
  username: string;
  tenant: string;
}

interface CredentialsFile {
  sessions: Record<string, StoredSession>;
}

/** $SYMBIONT_CONFIG_DIR, else $XDG_CONFIG_HOME/symbiont, else ~/.config/symbiont. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYMBIONT_CONFIG_DIR) return env.SYMBIONT_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "symbiont");
}

export const credentialsPath = (env: NodeJS.ProcessEnv = process.env) =>
  join(configDir(env), "credentials.json");

function readFile(path: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { sessions: {} };
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, ExitCode.failure);
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { sessions: parsed.sessions && typeof parsed.sessions === "object" ? parsed.sessions : {} };
  } catch {
    throw new CliError(
      `${path} is not valid JSON. Delete it and run \`symbiont login\` again.`,
      ExitCode.failure,
    );
  }
}

/**
 * Written whole to a temporary file created with mode 0600 in a 0700 directory, then renamed over
 * the old one: readers never see half a file, and nobody else on the machine can read the tokens.
 */
function writeFile(path: string, file: CredentialsFile, env: NodeJS.ProcessEnv): void {
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function loadSession(apiUrl: string, env: NodeJS.ProcessEnv = process.env): StoredSession | undefined {
  const session = readFile(credentialsPath(env)).sessions[apiUrl];
  return session && typeof session.refreshToken === "string" ? session : undefined;
}

export function saveSession(
  apiUrl: string,
  session: StoredSession,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const path = credentialsPath(env);
  const file = readFile(path);
  file.sessions[apiUrl] = session;
  writeFile(path, file, env);
}

export function forgetSession(apiUrl: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = credentialsPath(env);
  const file = readFile(path);
  if (!file.sessions[apiUrl]) return false;
  delete file.sessions[apiUrl];
  if (Object.keys(file.sessions).length === 0) rmSync(path, { force: true });
  else writeFile(path, file, env);
  return true;
}
