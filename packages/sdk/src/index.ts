export { grantsAllow, TENANT_WIDE } from "@symbiont/protocol";
export { SymbiontClient, type WaitForHealthyOptions } from "./client.js";
export {
  ApiError,
  type ApiErrorCode,
  AuthenticationError,
  AuthenticationExpiredError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestAbortedError,
  SymbiontError,
  TimeoutError,
  ValidationError,
} from "./errors.js";
export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
  type RequestOptions,
  type SessionTokens,
} from "./options.js";
export type { Page } from "./pagination.js";
export { SDK_VERSION } from "./platform.js";
export type { AgentsResource } from "./resources/agents.js";
export type { AuditResource } from "./resources/audit.js";
export type { AuthResource, LoginRequest } from "./resources/auth.js";
export type * from "./resources/deployments.js";
export type { DslResource } from "./resources/dsl.js";
export type * from "./resources/endpoints.js";
export type * from "./resources/http-inputs.js";
export type { KeysResource } from "./resources/keys.js";
export type { KnowledgeResource } from "./resources/knowledge.js";
export type * from "./resources/mcp.js";
export type { MemoryResource } from "./resources/memory.js";
export type * from "./resources/policies.js";
export type * from "./resources/registry.js";
export type { RolesResource } from "./resources/roles.js";
export type * from "./resources/runs.js";
export type * from "./resources/schedules.js";
export type * from "./resources/secrets.js";
export type { SystemResource } from "./resources/system.js";
export type { TenantsResource } from "./resources/tenants.js";
export type * from "./resources/tool-review.js";
export type { UsersResource } from "./resources/users.js";
export type { VectorsResource } from "./resources/vectors.js";
export type * from "./resources/workflows.js";
export type * from "./types.js";
