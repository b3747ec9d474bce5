import type { FastifyReply, FastifyRequest } from "fastify";
import { type Logger, pino } from "pino";

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
  ...[
    "access_token",
    "refresh_token",
    "current_password",
    "new_password",
    "totp_code",
    "recovery_code",
    "recovery_codes",
  ].flatMap((key) => [key, `*.${key}`]),
];

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: { service: "symbiont" },
  };
  return stream ? pino(options, stream) : pino(options);
}

/** Use the caller's X-Request-Id when it is sane, so a trace crosses services; otherwise make one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID_PATTERN.test(value) ? value : crypto.randomUUID();
}

/**
 * The one line per request, written by whoever sends the response (the route binding or the error
 * handler). Fastify's own request logging is off: it attaches listeners and builds a logger for
 * every request, which costs more than serving a cached read.
 */
export function logRequest(log: Logger, request: FastifyRequest, reply: FastifyReply, error?: unknown): void {
  const level = error ? "error" : "info";
  if (!log.isLevelEnabled(level)) return;
  const line = {
    reqId: request.id,
    method: request.method,
    url: request.url,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 100) / 100,
  };
  if (error) log.error({ ...line, err: error }, "request failed");
  else log.info(line, "request");
}
