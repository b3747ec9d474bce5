import { SymbiontClient } from "@symbiont/sdk";
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
  const url = options.url ?? process.env.SYMBIONT_BASE_URL;
  return new SymbiontClient({
    ...(url ? { baseUrl: apiBaseUrl(url) } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(timeout ? { timeout } : {}),
  });
}
