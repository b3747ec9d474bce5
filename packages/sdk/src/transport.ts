import {
  buildPath,
  type HttpMethod,
  IDEMPOTENT_METHODS,
  type RouteBody,
  type RouteId,
  type RouteParams,
  type RouteQuery,
  type RouteResponse,
  routes,
} from "@symbiont/protocol";
import {
  ApiError,
  ConnectionError,
  errorFromResponse,
  RequestAbortedError,
  SymbiontError,
  TimeoutError,
} from "./errors.js";
import { type RequestOptions, type ResolvedOptions, validateMaxRetries, validateTimeout } from "./options.js";
import { nodeProcess, USER_AGENT } from "./platform.js";
import { isRetryableStatus, parseRetryAfter, retryDelay } from "./retry.js";

/** A list is sent as a repeated key (`ids=a&ids=b`), as the v1 contract expects. */
export type QueryValue = string | number | boolean | undefined | readonly string[];

export interface RequestSpec {
  method: HttpMethod;
  /** Relative to the base URL, ids already encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON when present. */
  body?: unknown;
}

type Part<K extends string, T> = [T] extends [never] ? { [P in K]?: undefined } : { [P in K]: T };

/** What a route needs from the caller, read off the route table: only the parts it declares. */
export type RouteInput<R extends RouteId> = Part<"params", RouteParams<R>> &
  Part<"query", RouteQuery<R>> &
  Part<"body", RouteBody<R>>;

/** setTimeout overflows past this and fires at once, so longer budgets mean "no timer". */
const MAX_TIMER_MS = 2_147_483_647;

type Attempt<T> = { ok: true; value: T } | { ok: false; error: SymbiontError; retryAfter: number | null };

/** fetch plus what every call needs: headers, JSON, per-attempt timeouts, typed errors and retries. */
export class Transport {
  readonly #config: ResolvedOptions;

  constructor(config: ResolvedOptions) {
    this.#config = config;
  }

  get config(): Omit<ResolvedOptions, "apiKey"> {
    const { apiKey: _secret, ...visible } = this.#config;
    return visible;
  }

  /** Calls a route of the protocol's table; the types of its input and answer come from there. */
  async route<R extends RouteId>(
    id: R,
    input: RouteInput<R>,
    options?: RequestOptions,
  ): Promise<RouteResponse<R>> {
    const route = routes[id];
    const params = input.params as Record<string, string> | undefined;
    return this.request<RouteResponse<R>>(
      {
        method: route.method,
        path: buildPath(route.path, params),
        query: input.query as Record<string, QueryValue> | undefined,
        body: input.body,
      },
      options,
    );
  }

  async request<T>(spec: RequestSpec, options: RequestOptions = {}): Promise<T> {
    const timeout =
      options.timeout === undefined ? this.#config.timeout : validateTimeout(options.timeout, "timeout");
    const maxRetries =
      options.maxRetries === undefined
        ? this.#config.maxRetries
        : validateMaxRetries(options.maxRetries, "maxRetries");
    // A retried POST or PATCH could apply twice; the server has no idempotency keys to prevent it.
    const retries = IDEMPOTENT_METHODS.has(spec.method) ? maxRetries : 0;
    const url = this.#url(spec);
    const init: RequestInit = {
      method: spec.method,
      headers: this.#headers(spec, options.headers),
      ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
    };

    for (let retry = 0; ; retry += 1) {
      if (options.signal?.aborted) throw this.#aborted(spec, options.signal);
      const attempt = await this.#attempt<T>(spec, url, init, timeout, options.signal);
      if (attempt.ok) return attempt.value;
      if (!isRetryable(attempt.error) || retry >= retries) throw attempt.error;
      const delay = retryDelay(retry, attempt.retryAfter, this.#config.retry);
      try {
        await this.#config.retry.sleep(delay, options.signal);
      } catch {
        throw this.#aborted(spec, options.signal);
      }
    }
  }

  /** Waits like a retry would, so callers polling the server honour the same seams and signal. */
  async pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    try {
      await this.#config.retry.sleep(ms, signal);
    } catch (reason) {
      throw new RequestAbortedError(`${what}: aborted by the caller`, { cause: reason });
    }
  }

  async #attempt<T>(
    spec: RequestSpec,
    url: string,
    init: RequestInit,
    timeout: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<Attempt<T>> {
    // One controller per attempt: the caller's signal and this attempt's timer both abort it, and
    // removing the listener afterwards keeps a long-lived caller signal from collecting listeners.
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener("abort", forwardAbort, { once: true });
    let timedOut = false;
    const timer =
      timeout <= MAX_TIMER_MS
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeout)
        : undefined;

    let response: Response;
    let text: string;
    try {
      response = await this.#config.fetch(url, { ...init, signal: controller.signal });
      text = await response.text();
    } catch (error) {
      if (callerSignal?.aborted) throw this.#aborted(spec, callerSignal);
      if (timedOut) {
        const message = this.#redact(`${spec.method} ${spec.path}: no complete answer within ${timeout} ms`);
        return { ok: false, error: new TimeoutError(message, timeout, { cause: error }), retryAfter: null };
      }
      const message = `${spec.method} ${spec.path}: could not reach ${this.#origin()} (${networkReason(error)})`;
      return {
        ok: false,
        error: new ConnectionError(this.#redact(message), { cause: error }),
        retryAfter: null,
      };
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", forwardAbort);
    }

    if (response.ok) return { ok: true, value: this.#parseSuccess<T>(spec, response.status, text) };
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const error = errorFromResponse({
      method: spec.method,
      path: spec.path,
      status: response.status,
      statusText: response.statusText,
      text,
      retryAfter,
      authenticated: this.#config.apiKey !== undefined,
      redact: (value) => this.#redact(value),
    });
    return { ok: false, error, retryAfter };
  }

  #parseSuccess<T>(spec: RequestSpec, status: number, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
      throw new SymbiontError(
        this.#redact(
          `${spec.method} ${spec.path} → ${status}: expected a JSON body, got ${JSON.stringify(shown)}`,
        ),
      );
    }
  }

  #url(spec: RequestSpec): string {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (Array.isArray(value)) for (const item of value) query.append(key, item);
      else if (value !== undefined) query.set(key, String(value));
    }
    const search = query.toString();
    return `${this.#config.baseUrl}${spec.path}${search ? `?${search}` : ""}`;
  }

  #headers(spec: RequestSpec, perRequest: Record<string, string> | undefined): Headers {
    const headers = new Headers({ Accept: "application/json" });
    // Browsers forbid setting User-Agent; only Node gets one.
    if (nodeProcess()) headers.set("User-Agent", USER_AGENT);
    if (this.#config.apiKey !== undefined) headers.set("Authorization", `Bearer ${this.#config.apiKey}`);
    if (spec.body !== undefined) headers.set("Content-Type", "application/json");
    for (const [name, value] of Object.entries({ ...this.#config.headers, ...perRequest })) {
      headers.set(name, value);
    }
    return headers;
  }

  #aborted(spec: RequestSpec, signal: AbortSignal | undefined): RequestAbortedError {
    return new RequestAbortedError(this.#redact(`${spec.method} ${spec.path}: aborted by the caller`), {
      cause: signal?.reason,
    });
  }

  /** Scheme, host and base path only: a base URL may carry user:password, which messages must not. */
  #origin(): string {
    const url = new URL(this.#config.baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, "")}`;
  }

  /** Servers echo what they were sent; an error message must never carry the credential onwards. */
  #redact(text: string): string {
    const secret = this.#config.apiKey;
    return secret ? text.split(secret).join("[redacted]") : text;
  }
}

function isRetryable(error: SymbiontError): boolean {
  if (error instanceof ApiError) return isRetryableStatus(error.status);
  return error instanceof ConnectionError || error instanceof TimeoutError;
}

/** Node's fetch hides the socket error (ECONNREFUSED, ECONNRESET) in `cause`; surface it. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
