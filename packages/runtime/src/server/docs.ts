import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { buildOpenApiDocument } from "@symbiont/protocol";
import type { FastifyInstance } from "fastify";

/** Serves the OpenAPI document generated from the protocol route table, and Swagger UI over it. */
export async function registerDocs(
  app: FastifyInstance,
  options: { prefix: string; version: string },
): Promise<void> {
  const document = buildOpenApiDocument({ version: options.version, prefix: options.prefix });
  app.get(`${options.prefix}/openapi.json`, async (_request, reply) =>
    reply.type("application/json").send(document),
  );
  // biome-ignore lint/suspicious/noExplicitAny: @fastify/swagger types its static document as OpenAPI 3.0 only
  await app.register(swagger, { mode: "static", specification: { document: document as any } });
  await app.register(swaggerUi, {
    routePrefix: `${options.prefix}/docs`,
    uiConfig: { persistAuthorization: false },
  });
}
