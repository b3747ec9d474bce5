import type { ErrorCode, FieldIssue } from "@symbiont/protocol";

/** A code from the runtime's catalogue; left open so a newer server's codes still type-check. */
export type ApiErrorCode = ErrorCode | (string & {});

/** Every error the SDK throws; `instanceof SymbiontError` catches them all. */
export class SymbiontError extends Error {
  override name = "SymbiontError";
}

export interface ApiErrorInit {
  method: string;
  path: string;
  status: number;
  code: ApiErrorCode | null;
  body: unknown;
  details: Record<string, unknown> | null;
  requestId: string | null;
}

/** The server answered with a status outside 2xx. */
export class ApiError extends SymbiontError {
  override name = "ApiError";
  readonly method: string;
  /** The path relative to the base URL, ids already encoded, without the query string. */
  readonly path: string;
  readonly status: number;
  /** `code` of the error body; null when the body was not a Symbiont error (a proxy's page, say). */
  readonly code: ApiErrorCode | null;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly details: Record<string, unknown> | null;
  /** Quote it to the operator: the runtime logs every request under this id. */
  readonly requestId: string | null;

  constructor(message: string, init: ApiErrorInit) {
    super(message);
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.code = init.code;
    this.body = init.body;
    this.details = init.details;
    this.requestId = init.requestId;
  }
}

/** 401: the credential is missing or not accepted. */
export class AuthenticationError extends ApiError {
  override name = "AuthenticationError";
}

/** 401 for a credential that was valid once; getting a fresh one fixes it, retrying does not. */
export class AuthenticationExpiredError extends AuthenticationError {
  override name = "AuthenticationExpiredError";
}

/** 403: the credential is valid but lacks the route's permission. */
export class PermissionDeniedError extends ApiError {
  override name = "PermissionDeniedError";
}

export class NotFoundError extends ApiError {
  override name = "NotFoundError";
}

export class ConflictError extends ApiError {
  override name = "ConflictError";
}

/** 400 or 422: the request was refused as written; `issues` says which field and why. */
export class ValidationError extends ApiError {
  override name = "ValidationError";
  readonly issues: FieldIssue[];

  constructor(message: string, init: ApiErrorInit, issues: FieldIssue[]) {
    super(message, init);
    this.issues = issues;
  }
}

/** 429: slow down. `retryAfter` is the server's hint in seconds, null when it gave none. */
export class RateLimitError extends ApiError {
  override name = "RateLimitError";
  readonly retryAfter: number | null;

  constructor(message: string, init: ApiErrorInit, retryAfter: number | null) {
    super(message, init);
    this.retryAfter = retryAfter;
  }
}

/** No HTTP answer at all: refused, reset, DNS failure, TLS failure. */
export class ConnectionError extends SymbiontError {
  override name = "ConnectionError";
}

/** An attempt (or `waitForHealthy`) outlived its time budget. */
export class TimeoutError extends SymbiontError {
  override name = "TimeoutError";
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number, options?: ErrorOptions) {
    super(message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class RequestAbortedError extends SymbiontError {
  override name = "RequestAbortedError";
}

export interface ErrorResponse {
  method: string;
  path: string;
  status: number;
  statusText: string;
  text: string;
  retryAfter: number | null;
  /** Whether the request carried a credential, so a 401 can say that none was configured. */
  authenticated: boolean;
  /** Scrubs the credential from anything the server echoed back. */
  redact: (text: string) => string;
}

const MAX_DETAIL_CHARS = 300;
const MAX_LISTED_ISSUES = 5;

/** The most specific error class for a non-2xx answer, with a message that reads on its own. */
export function errorFromResponse(raw: ErrorResponse): ApiError {
  const response = { ...raw, text: raw.redact(raw.text), statusText: raw.redact(raw.statusText) };
  const body = parseJson(response.text);
  const fields = isRecord(body) ? body : {};
  const code = typeof fields.code === "string" ? fields.code : null;
  const details = isRecord(fields.details) ? fields.details : null;
  const init: ApiErrorInit = {
    method: response.method,
    path: response.path,
    status: response.status,
    code,
    body,
    details,
    requestId: typeof fields.request_id === "string" ? fields.request_id : null,
  };
  const explanation = typeof fields.error === "string" ? fields.error : summarise(response);
  const head = `${response.method} ${response.path} → ${response.status}${code ? ` ${code}` : ""}: ${explanation}`;
  const tail = init.requestId ? ` (request_id ${init.requestId})` : "";
  const message = (suffix = "") => raw.redact(`${head}${suffix}${tail}`);

  const { status } = response;
  if (status === 400 || status === 422) {
    const issues = issuesOf(details);
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `${issue.field}: ${issue.message}`);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`${issues.length - MAX_LISTED_ISSUES} more`);
    return new ValidationError(message(listed.length > 0 ? ` (${listed.join("; ")})` : ""), init, issues);
  }
  if (status === 401) {
    const hint = response.authenticated
      ? ""
      : " (no API key configured: pass apiKey or set SYMBIONT_API_KEY)";
    const expired = code === "TOKEN_EXPIRED" || /expired/i.test(response.text);
    return expired
      ? new AuthenticationExpiredError(message(hint), init)
      : new AuthenticationError(message(hint), init);
  }
  if (status === 403) return new PermissionDeniedError(message(), init);
  if (status === 404) return new NotFoundError(message(), init);
  if (status === 409) return new ConflictError(message(), init);
  if (status === 429) {
    const wait = response.retryAfter === null ? "" : ` (retry after ${response.retryAfter} s)`;
    return new RateLimitError(message(wait), init, response.retryAfter);
  }
  return new ApiError(message(), init);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function summarise(response: ErrorResponse): string {
  const text = response.text.trim().replace(/\s+/g, " ");
  if (text === "") return response.statusText || "empty response body";
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

function issuesOf(details: Record<string, unknown> | null): FieldIssue[] {
  const issues = details?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.flatMap((issue: unknown) =>
    isRecord(issue) && typeof issue.field === "string" && typeof issue.message === "string"
      ? [{ field: issue.field, message: issue.message }]
      : [],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
