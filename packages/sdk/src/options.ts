import { type DotEnvFile, readDotEnvFile } from "./dotenv.js";
import { SymbiontError } from "./errors.js";
import { nodeProcess } from "./platform.js";
import { defaultRetryTiming, type RetryTiming } from "./retry.js";

/** The slice of `fetch` the SDK uses; the global fetch and most polyfills satisfy it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Bearer credential. Falls back to SYMBIONT_API_KEY; without one only health and ready answer. */
  apiKey?: string;
  /**
   * A refresh token from an earlier login. With one, a 401 is answered by refreshing the session
   * once and repeating the request; `apiKey` then holds the access token.
   */
  refreshToken?: string;
  /** Called with the new tokens after every login and refresh, e.g. to store them. */
  onTokens?: (tokens: SessionTokens) => void;
  /** The API base, e.g. `https://symbiont.example.com/api/v1`. Falls back to SYMBIONT_BASE_URL. */
  baseUrl?: string;
  /** Milliseconds each attempt may take, body included. Falls back to SYMBIONT_TIMEOUT. */
  timeout?: number;
  /** Extra attempts for idempotent requests. Falls back to SYMBIONT_MAX_RETRIES. */
  maxRetries?: number;
  fetch?: FetchLike;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

/** Per-call overrides of the client's settings. */
export interface RequestOptions {
  /** Aborting it stops the call at once, between retries too; it is never retried. */
  signal?: AbortSignal;
  timeout?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
}

/**
 * Seams for tests and embedders, not part of the stable API: where the environment comes from and
 * how retries wait.
 */
export interface ClientInternals {
  /** Replaces `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory whose `.env` is read (default: the process's cwd); null reads none. */
  cwd?: string | null;
  retry?: Partial<RetryTiming>;
}

/** The tokens of a login session as the SDK keeps them. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  accessExpiresAt: number;
  refreshExpiresAt: number;
  sessionId: string;
}

export interface ResolvedOptions {
  apiKey: string | undefined;
  refreshToken: string | undefined;
  onTokens: ((tokens: SessionTokens) => void) | undefined;
  baseUrl: string;
  timeout: number;
  maxRetries: number;
  fetch: FetchLike;
  headers: Record<string, string>;
  retry: RetryTiming;
}

export const DEFAULT_BASE_URL = "http://localhost:8080/api/v1";
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;

interface Setting {
  value: string;
  /** Where the value came from, for error messages. */
  origin: string;
}

/** Constructor option, then the environment, then `.env`, then the default; each value validated. */
export function resolveOptions(options: ClientOptions, internals: ClientInternals = {}): ResolvedOptions {
  const lookup = settingsSource(internals);
  const fromEnv = (name: string, parse: (setting: Setting) => number) => {
    const setting = lookup(name);
    return setting ? parse(setting) : undefined;
  };

  const apiKey = nonEmpty(options.apiKey) ?? lookup("SYMBIONT_API_KEY")?.value;
  const baseUrlSetting = nonEmpty(options.baseUrl) === undefined ? lookup("SYMBIONT_BASE_URL") : undefined;
  const baseUrl = baseUrlSetting
    ? normaliseBaseUrl(baseUrlSetting.value, baseUrlSetting.origin)
    : normaliseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, "baseUrl");
  const timeout =
    options.timeout === undefined
      ? (fromEnv("SYMBIONT_TIMEOUT", (s) => validateTimeout(Number(s.value.trim()), s.origin, s.value)) ??
        DEFAULT_TIMEOUT_MS)
      : validateTimeout(options.timeout, "timeout");
  const maxRetries =
    options.maxRetries === undefined
      ? (fromEnv("SYMBIONT_MAX_RETRIES", (s) =>
          validateMaxRetries(/^\s*\d+\s*$/.test(s.value) ? Number(s.value) : Number.NaN, s.origin, s.value),
        ) ?? DEFAULT_MAX_RETRIES)
      : validateMaxRetries(options.maxRetries, "maxRetries");

  return {
    apiKey,
    refreshToken: nonEmpty(options.refreshToken),
    onTokens: options.onTokens,
    baseUrl,
    timeout,
    maxRetries,
    fetch: options.fetch ?? globalFetch(),
    headers: { ...options.headers },
    retry: { ...defaultRetryTiming, ...internals.retry },
  };
}

export function validateTimeout(value: number, name: string, raw?: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw invalid(name, "must be a positive number of milliseconds", raw ?? value);
  }
  return value;
}

export function validateMaxRetries(value: number, name: string, raw?: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw invalid(name, "must be a whole number, 0 or more", raw ?? value);
  }
  return value;
}

function invalid(name: string, rule: string, got: unknown): SymbiontError {
  return new SymbiontError(`Invalid ${name}: ${rule}, got ${JSON.stringify(got) ?? String(got)}`);
}

function normaliseBaseUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(name, "must be an absolute http(s) URL", value);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(name, "must be an absolute http(s) URL", value);
  }
  return value.replace(/\/+$/, "");
}

/** Looks a variable up in the environment, then in `.env`, reading the file only if it is needed. */
function settingsSource(internals: ClientInternals): (name: string) => Setting | undefined {
  const env =
    internals.env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  let dotenv: DotEnvFile | null | undefined;
  return (name) => {
    const value = nonEmpty(env?.[name]);
    if (value !== undefined) return { value, origin: `environment variable ${name}` };
    if (dotenv === undefined) {
      const dir = internals.cwd === undefined ? nodeProcess()?.cwd() : internals.cwd;
      dotenv = dir ? readDotEnvFile(dir) : null;
    }
    const fromFile = nonEmpty(dotenv?.values.get(name));
    return fromFile === undefined ? undefined : { value: fromFile, origin: `${name} in ${dotenv!.path}` };
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function globalFetch(): FetchLike {
  if (typeof globalThis.fetch !== "function") {
    throw new SymbiontError("No global fetch in this environment: pass options.fetch");
  }
  // Called through globalThis each time: browsers throw "Illegal invocation" on a detached fetch.
  return (url, init) => globalThis.fetch(url, init);
}
