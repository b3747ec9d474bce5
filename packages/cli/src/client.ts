import { DEFAULT_BASE_URL, SymbiontClient } from "@symbiont/sdk";
import { loadSession, saveSession } from "./credentials.js";
import { CliError, ExitCode } from "./exit-codes.js";

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  timeout?: string;
  json?: boolean;
}

/** `http://host:8080` and `http://host:8080/` mean the API under it: people type the server's address. */
export function apiBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(
      `--url ${JSON.stringify(url)} is not a URL; try http://localhost:8080`,
      ExitCode.usage,
    );
  }
  return parsed.pathname === "/" ? `${parsed.origin}/api/v1` : url.replace(/\/+$/, "");
}

export function clientFrom(options: GlobalOptions): SymbiontClient {
  let timeout: number | undefined;
  if (options.timeout !== undefined) {
    timeout = Number(options.timeout);
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new CliError(
        `--timeout must be a positive whole number of milliseconds, not ${JSON.stringify(options.timeout)}`,
        ExitCode.usage,
      );
    }
  }
  const apiUrl = targetApiUrl(options);
  const apiKey = options.apiKey ?? process.env.SYMBIONT_API_KEY;
  // An API key wins; without one, the session `symbiont login` stored for this runtime, whose
  // refreshed tokens are written back so the next command starts from them.
  const session = apiKey ? undefined : loadSession(apiUrl);
  return new SymbiontClient({
    baseUrl: apiUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(session
      ? {
          apiKey: session.accessToken,
          refreshToken: session.refreshToken,
          onTokens: (tokens) => saveSession(apiUrl, { ...session, ...tokens }),
        }
      : {}),
    ...(timeout ? { timeout } : {}),
  });
}

/** The API URL a command talks to: --url, SYMBIONT_BASE_URL, or the SDK's default. */
export function targetApiUrl(options: GlobalOptions): string {
  const url = options.url ?? process.env.SYMBIONT_BASE_URL;
  return url ? apiBaseUrl(url) : DEFAULT_BASE_URL;
}

/** Whether a command would act with a stored login session rather than an API key. */
export function usesStoredSession(options: GlobalOptions): boolean {
  if (options.apiKey ?? process.env.SYMBIONT_API_KEY) return false;
  try {
    return loadSession(targetApiUrl(options)) !== undefined;
  } catch {
    return false;
  }
}
