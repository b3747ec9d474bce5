import type { RouteResponse } from "@symbiont/protocol";

export type {
  AgentCreatedResponse,
  AgentCreateRequest,
  AgentDefinition,
  AgentDefinitionPage,
  AgentMetrics,
  AgentState,
  AgentStatusResponse,
  AgentUpdateRequest,
  ApiKeyCreatedResponse,
  ApiKeyCreateRequest,
  ApiKeyInfo,
  AuditEntry,
  AuditOutcome,
  AuditPage,
  AuditVerification,
  CoarsePermission,
  CollectionInfo,
  CollectionResponse,
  CollectionSearchResponse,
  CompiledDefinition,
  ConfigReloadResponse,
  ConsolidationResponse,
  ContextResponse,
  ConversationContext,
  DslCompileRequest,
  DslCompileResponse,
  DslDiagnostic,
  ErrorBody,
  ErrorCode,
  FieldIssue,
  Grant,
  HealthResponse,
  JsonWebKeySet,
  KnowledgeAddedResponse,
  KnowledgeItemOut,
  MemoryNode,
  MemoryResponse,
  MemorySearchResponse,
  MeResponse,
  Permission,
  PointId,
  ReadinessResponse,
  RetrievedPoint,
  RoleInfo,
  SystemMetrics,
  TenantInfo,
  TokenResponse,
  TotpConfirmResponse,
  TotpEnrollResponse,
  UpsertResponse,
  UserInfo,
  VectorSearchResponse,
} from "@symbiont/protocol";

export type AgentDeletedResponse = RouteResponse<"deleteAgent">;
export type ApiKeyRevokedResponse = RouteResponse<"revokeApiKey">;

/** One page of `GET /agent-definitions`. */
export interface AgentDefinitionListQuery {
  /** 1 to 500; the server picks when absent. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}
