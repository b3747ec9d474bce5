import { z } from "zod";

/**
 * The catalogue of error codes the runtime answers with. Every error body carries one of them, so
 * clients branch on `code`, never on the human-readable `error` text.
 */
export const ErrorCode = z.enum([
  "VALIDATION_FAILED",
  "INVALID_JSON",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "UNAUTHENTICATED",
  "TOKEN_EXPIRED",
  "TOTP_REQUIRED",
  "ACCOUNT_LOCKED",
  "FORBIDDEN",
  "NOT_FOUND",
  "ROUTE_NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "CONFLICT",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One problem with the request, named by the path of the offending field (`body.temperature`). */
export const FieldIssue = z.object({
  field: z.string().describe("Where the problem is: body.x, query.y, params.z, header.h"),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

/** The one error shape: the contract's `{error, code, details}` plus the request id for support. */
export const ErrorBody = z.object({
  error: z.string().describe("What went wrong, for humans"),
  code: ErrorCode,
  details: z.record(z.string(), z.unknown()).nullable(),
  request_id: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** HTTP status that belongs to each code; one place, so the runtime and the SDK agree. */
export const statusOfErrorCode: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  TOTP_REQUIRED: 401,
  ACCOUNT_LOCKED: 429,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
