import type { ErrorBody, ErrorCode } from "@symbiont/protocol";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "./app-error.js";
import { finishRequest, type RequestObserver } from "./request-observer.js";
import { SECURITY_HEADERS } from "./security-headers.js";

/** Fastify's own 4xx errors (body parsing, limits), translated into the catalogue. */
function fromFastifyError(error: FastifyError): AppError | undefined {
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return undefined;
  if (status === 413)
    return new AppError(
      "PAYLOAD_TOO_LARGE",
      "Request body is larger than the server accepts (see bodyLimit)",
    );
  if (status === 415)
    return new AppError("UNSUPPORTED_MEDIA_TYPE", "Send request bodies as application/json");
  if (error.code?.startsWith("FST_ERR_CTP") || error instanceof SyntaxError) {
    return new AppError("INVALID_JSON", `Request body is not valid JSON: ${error.message}`, {
      issues: [{ field: "body", message: error.message }],
    });
  }
  const code: ErrorCode =
    status === 404 ? "NOT_FOUND" : status === 429 ? "RATE_LIMITED" : "VALIDATION_FAILED";
  return new AppError(code, error.message);
}

/** Sends the error body and writes the request's log line; `fault` is what gets logged for a 5xx. */
export function sendError(
  observer: RequestObserver,
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
  fault?: unknown,
): FastifyReply {
  const body: ErrorBody = {
    error: error.message,
    code: error.code,
    details: error.details,
    request_id: request.id,
  };
  reply
    .code(error.status)
    .headers(SECURITY_HEADERS)
    .headers(error.headers)
    .header("x-request-id", request.id)
    .type("application/json");
  finishRequest(observer, request, reply, error.status >= 500 ? (fault ?? error) : undefined);
  return reply.send(body);
}

export function installErrorHandling(app: FastifyInstance, observer: RequestObserver): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof AppError ? error : fromFastifyError(error);
    // Anything else is a fault: logged with the request id, while the client is told only what
    // helps it report the fault.
    return sendError(
      observer,
      request,
      reply,
      known ?? new AppError("INTERNAL", "Internal error; report the request_id to the operator"),
      error,
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      observer,
      request,
      reply,
      new AppError(
        "ROUTE_NOT_FOUND",
        `No route ${request.method} ${request.url.split("?")[0]}; see /api/v1/docs`,
      ),
    ),
  );
}
