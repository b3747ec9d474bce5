import { type ErrorCode, type FieldIssue, statusOfErrorCode } from "@symbiont/protocol";
import type { z } from "zod";

/** An error the client caused or may act on. Anything else thrown is a fault and answers 500. */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = statusOfErrorCode[code];
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const conflict = (message: string) => new AppError("CONFLICT", message);

/** A refusal about one field of the request, in the shape validation errors have. */
export function fieldError(
  code: "VALIDATION_FAILED" | "FORBIDDEN" | "CONFLICT",
  field: string,
  message: string,
) {
  const lead = code === "FORBIDDEN" ? "Not allowed" : code === "CONFLICT" ? "Conflict" : "Invalid request";
  return new AppError(code, `${lead}: ${field}: ${message}`, { issues: [{ field, message }] });
}

export function issuesOf(error: z.ZodError, location: "body" | "query" | "params"): FieldIssue[] {
  return error.issues.map((issue) => {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [location, ...issue.path.map(String)].join(".");
    if (keys.length > 0) {
      return {
        field: keys.map((k) => `${path}.${k}`).join(", "),
        message: `unknown field${keys.length > 1 ? "s" : ""}; remove ${keys.length > 1 ? "them" : "it"}`,
      };
    }
    return { field: path, message: issue.message };
  });
}

export function validationFailed(issues: FieldIssue[]): AppError {
  const summary = issues
    .slice(0, 3)
    .map((issue) => `${issue.field}: ${issue.message}`)
    .join("; ");
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return new AppError("VALIDATION_FAILED", `Invalid request: ${summary}${more}`, { issues });
}
