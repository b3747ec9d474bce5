import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from "fastify";

/**
 * Credentials can reach a log line through headers, bodies or errors; these paths are censored
 * wherever they appear, so a debug log is as safe to share as an info one.
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "apiKey",
  "*.apiKey",
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "databaseUrl",
  "*.databaseUrl",
];

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions["logger"] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: { service: "symbiont" },
  };
}

/** Use the caller's X-Request-Id when it is sane, so a trace crosses services; otherwise make one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID_PATTERN.test(value) ? value : crypto.randomUUID();
}

/** One line per request, written when it completes, instead of Fastify's two. */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) request.log.error({ ...line, err: error }, "request errored");
    else request.log.info(line, "request");
  }
}
