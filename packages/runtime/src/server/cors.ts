import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/**
 * Browsers on these exact origins may call the API (the web console on another host, for example).
 * With none configured nothing is registered: no CORS headers, and preflight requests find no route.
 * Credentials travel in the Authorization header, never in cookies, so none are allowed.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: [...origins],
    methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "content-type", "x-request-id"],
    exposedHeaders: ["x-request-id", "retry-after"],
    credentials: false,
    maxAge: 600,
  });
}
