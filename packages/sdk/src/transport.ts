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
  type TokenResponse,
} from "@symbiont/protocol";
import {
  ApiError,
  ConnectionError,
  errorFromResponse,
  RequestAbortedError,
  SymbiontError,
  TimeoutError,
} from "./errors.js";
import {
  type RequestOptions,
  type ResolvedOptions,
  type SessionTokens,
  validateMaxRetries,
  validateTimeout,
} from "./options.js";
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
  /** False for the calls that trade credentials themselves (login, refresh): no refresh on 401. */
  refreshOnUnauthorized?: boolean;
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
  /** The bearer credential: an API key, or a session's access token. */
  #bearer: string | undefined;
  #refreshToken: string | undefined;
  /** One refresh at a time: concurrent 401s wait for the same one rather than spend the token twice. */
  #refreshing: Promise<void> | undefined;

  constructor(config: ResolvedOptions) {
    this.#config = config;
    this.#bearer = config.apiKey;
    this.#refreshToken = config.refreshToken;
  }

  get config(): Omit<ResolvedOptions, "apiKey" | "refreshToken" | "onTokens"> {
    const { apiKey: _secret, refreshToken: _refresh, onTokens: _callback, ...visible } = this.#config;
    return visible;
  }

  get hasRefreshToken(): boolean {
    return this.#refreshToken !== undefined;
  }

  /** Uses a bearer credential from now on; a session's refresh token, when given, renews it. */
  useCredential(bearer: string | undefined, refreshToken?: string): void {
    this.#bearer = bearer;
    this.#refreshToken = refreshToken;
  }

  /** Takes the tokens of a login or refresh and tells whoever stores them. */
  useSession(tokens: SessionTokens): void {
    this.useCredential(tokens.accessToken, tokens.refreshToken);
    this.#config.onTokens?.(tokens);
  }

  /** Trades the refresh token for new tokens (single-flight), and uses them. */
  async refreshSession(options: RequestOptions = {}): Promise<SessionTokens> {
    const refreshToken = this.#refreshToken;
    if (refreshToken === undefined) {
      throw new SymbiontError("No refresh token: log in first (client.auth.login) or pass refreshToken");
    }
    const response = await this.request<TokenResponse>(
      {
        method: "POST",
        path: routes.refreshSession.path,
        body: { refresh_token: refreshToken },
        refreshOnUnauthorized: false,
      },
      { ...options, maxRetries: 0 },
    );
    const tokens = sessionTokensOf(response);
    this.useSession(tokens);
    return tokens;
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
        // Public routes (login, refresh) take no bearer, so a 401 there is about what they were sent.
        refreshOnUnauthorized: route.auth !== "public",
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

    let refreshed = false;
    for (let retry = 0; ; retry += 1) {
      if (options.signal?.aborted) throw this.#aborted(spec, options.signal);
      const attempt = await this.#attempt<T>(spec, url, init, timeout, options.signal);
      if (attempt.ok) return attempt.value;
      // An expired or revoked access token: renew the session once and repeat. A 401 means the
      // server did nothing, so repeating even a POST cannot apply it twice.
      if (
        !refreshed &&
        attempt.error instanceof ApiError &&
        attempt.error.status === 401 &&
        spec.refreshOnUnauthorized !== false &&
        this.#refreshToken !== undefined
      ) {
        refreshed = true;
        const sentWith = this.#bearer;
        // A failed refresh throws its own error: the session is over, which says more than the 401.
        this.#refreshing ??= this.refreshSession({ signal: options.signal, timeout }).then(() => undefined);
        try {
          await this.#refreshing;
        } finally {
          this.#refreshing = undefined;
        }
        if (this.#bearer !== sentWith) {
          init.headers = this.#headers(spec, options.headers);
          retry -= 1;
          continue;
        }
      }
      if (!isRetryable(attempt.error) || retry >= retries) throw attempt.error;
      const delay = retryDelay(retry, attempt.retryAfter, this.#config.retry);
      try {
        await this.#config.retry.sleep(delay, options.signal);
      } catch {
        throw this.#aborted(spec, options.signal);
      }
    }
  }

  /**
   * Opens a long-lived GET (server-sent events) and answers the response once its headers are in;
   * no timeout applies to the body, which the caller reads until it ends or aborts.
   */
  async openStream(spec: RequestSpec, signal?: AbortSignal): Promise<Response> {
    const headers = this.#headers(spec, { Accept: "text/event-stream" });
    let response: Response;
    try {
      response = await this.#config.fetch(this.#url(spec), {
        method: "GET",
        headers,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw this.#aborted(spec, signal);
      const message = `${spec.method} ${spec.path}: could not reach ${this.#origin()} (${networkReason(error)})`;
      throw new ConnectionError(this.#redact(message), { cause: error });
    }
    if (response.ok && response.body) return response;
    const text = await response.text();
    throw errorFromResponse({
      method: spec.method,
      path: spec.path,
      status: response.status,
      statusText: response.statusText,
      text,
      retryAfter: parseRetryAfter(response.headers.get("retry-after")),
      authenticated: this.#bearer !== undefined,
      redact: (value) => this.#redact(value),
    });
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
      authenticated: this.#bearer !== undefined,
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
    if (this.#bearer !== undefined) headers.set("Authorization", `Bearer ${this.#bearer}`);
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
    let redacted = text;
    for (const secret of [this.#bearer, this.#refreshToken, this.#config.apiKey]) {
      if (secret) redacted = redacted.split(secret).join("[redacted]");
    }
    return redacted;
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

/** The server's token answer in the SDK's shape, with expiries as epoch milliseconds. */
export function sessionTokensOf(response: TokenResponse, now = Date.now()): SessionTokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    accessExpiresAt: now + response.expires_in * 1000,
    refreshExpiresAt: now + response.refresh_expires_in * 1000,
    sessionId: response.session_id,
  };
}
