import { z } from "zod";
import { ErrorBody, statusOfErrorCode } from "./errors.js";
import { type RouteDefinition, routes } from "./routes.js";

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const json = toJsonSchema(schema, "input");
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: property,
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

function errorResponse(description: string): JsonSchema {
  return { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
}

function operationOf(route: RouteDefinition): JsonSchema {
  const responses: Record<string, JsonSchema> = {
    [String(route.successStatus ?? 200)]: {
      description: "Success",
      content: { "application/json": { schema: toJsonSchema(route.response, "output") } },
    },
  };
  if (route.body || route.query || route.params) {
    responses[String(statusOfErrorCode.VALIDATION_FAILED)] = errorResponse(
      "Invalid request; `details.issues` names each field",
    );
  }
  if (route.auth !== "public") {
    responses["401"] = errorResponse("Missing, invalid or expired credential");
    if (route.auth !== "authenticated")
      responses["403"] = errorResponse(`The credential lacks the ${route.auth} permission`);
  }
  if (route.params) responses["404"] = errorResponse("No such resource in your tenant");
  if (route.method === "POST" && route.successStatus === 201)
    responses["409"] = errorResponse("Already exists");
  responses["500"] = errorResponse("A fault in the runtime; the request id in the body finds it in the logs");

  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.tag],
    ...(route.auth === "public"
      ? { security: [] }
      : {
          description: `${route.auth === "authenticated" ? "Requires any valid credential." : `Requires the \`${route.auth}\` permission.`}${route.contract ? " Part of the v1 client contract." : ""}`,
        }),
    parameters: [...parametersOf(route.params, "path"), ...parametersOf(route.query, "query")],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: toJsonSchema(route.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document for every route in the table, with paths under `prefix`. */
export function buildOpenApiDocument(options: {
  version: string;
  prefix: string;
  serverUrl?: string;
}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of Object.values(routes) as RouteDefinition[]) {
    const path = `${options.prefix}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Symbiont runtime API",
      version: options.version,
      description:
        "Every route but health and readiness needs `Authorization: Bearer <API key>`. Errors share one shape: `{error, code, details, request_id}`.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key (sym_…) or an access token" },
      },
      schemas: { Error: toJsonSchema(ErrorBody, "output") },
    },
    paths,
  };
}
