import type { RouteDefinition } from "@symbiont/protocol";
import type { FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { AuditActor, AuditTrail } from "../audit/audit-trail.js";
import { AppError } from "./app-error.js";

/** What kind of thing each route group acts on, as audit entries name it. */
const TARGET_TYPE_OF_TAG: Record<string, string> = {
  agents: "agent",
  keys: "api_key",
  system: "system",
  audit: "audit",
  users: "user",
  roles: "role",
  tenants: "tenant",
  auth: "session",
  secrets: "secret",
  memory: "memory",
  knowledge: "knowledge_item",
  vectors: "vector_collection",
  schedules: "schedule",
};

/** The resource a request acted on: its path id, else the id it created. */
export function targetOf(
  route: RouteDefinition,
  request: FastifyRequest,
  output?: unknown,
): { type: string; id: string | null } {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const created = (output ?? {}) as Record<string, unknown>;
  // A secret is named by its owner and name together (never by anything of its value).
  const secretName = [params.secret_name, body.secret_name].find((v) => typeof v === "string");
  const secretOwner = [params.agent_id, body.agent_id].find((v) => typeof v === "string");
  if (secretName !== undefined && secretOwner !== undefined) {
    return { type: "secret", id: `${secretOwner}/${secretName}` };
  }
  const id = [
    params.schedule_id,
    params.agent_id,
    params.key_id,
    params.user_id,
    params.role_name,
    params.tenant_id,
    created.agent_id,
    created.id,
    created.session_id,
    body.id,
    params.memory_id,
    params.item_id,
    params.collection_name,
    body.collection_name,
    body.name,
  ].find((v) => typeof v === "string");
  return { type: TARGET_TYPE_OF_TAG[route.tag] ?? route.tag, id: (id as string | undefined) ?? null };
}

export function statusOfError(error: unknown): number {
  if (error instanceof AppError) return error.status;
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === "number" && status >= 400 ? status : 500;
}

/**
 * Mutating requests and denials are written to the actor's tenant chain before the answer goes
 * out. A failure to write is logged as an error and does not turn a done change into an error
 * answer, which would invite a retry of something that already happened.
 */
export function recordRequest(
  audit: AuditTrail,
  log: Logger,
  request: FastifyRequest,
  route: RouteDefinition,
  actor: AuditActor,
  status: number,
  output?: unknown,
  details?: Record<string, unknown>,
): Promise<void> {
  return audit
    .record({
      actor,
      action: route.id,
      target: targetOf(route, request, output),
      status,
      requestId: request.id,
      sourceIp: request.ip,
      ...(details ? { details } : {}),
    })
    .catch((error: unknown) => {
      log.error({ err: error, reqId: request.id, action: route.id }, "audit entry could not be written");
    });
}
