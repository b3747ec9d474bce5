import type { ErrorBody, ErrorCode } from "@symbiont/protocol";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "./app-error.js";

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

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorBody = {
    error: error.message,
    code: error.code,
    details: error.details,
    request_id: request.id,
  };
  return reply.code(error.status).headers(error.headers).type("application/json").send(body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof AppError ? error : fromFastifyError(error);
    if (known) {
      if (known.status >= 500) request.log.error({ err: error }, "request failed");
      return sendError(request, reply, known);
    }
    // A fault: log it with the request id, and tell the client only what helps it report the fault.
    request.log.error({ err: error }, "unhandled error");
    return sendError(
      request,
      reply,
      new AppError("INTERNAL", "Internal error; report the request_id to the operator"),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new AppError(
        "ROUTE_NOT_FOUND",
        `No route ${request.method} ${request.url.split("?")[0]}; see /api/v1/docs`,
      ),
    ),
  );
}
