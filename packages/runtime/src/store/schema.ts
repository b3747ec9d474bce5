import type { Generated } from "kysely";

/**
 * The database as TypeScript sees it. Timestamps are ISO-8601 UTC text and JSON is text, so one
 * migration set serves SQLite and Postgres alike and ISO text sorts in time order on both.
 */
export interface Database {
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  agents: AgentTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadTable;
  secrets: SecretTable;
  secret_versions: SecretVersionTable;
  secret_backends: SecretBackendTable;
  secret_key_check: SecretKeyCheckTable;
  users: UserTable;
  roles: RoleTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  signing_keys: SigningKeyTable;
  memories: MemoryTable;
  knowledge_items: KnowledgeItemTable;
  knowledge_chunks: KnowledgeChunkTable;
  vector_collections: VectorCollectionTable;
  vector_points: VectorPointTable;
  vector_spaces: VectorSpaceTable;
  vector_entries: VectorEntryTable;
  mcp_servers: McpServerTable;
  tool_reviews: ToolReviewTable;
  tool_analyses: ToolAnalysisTable;
  tool_signing_keys: ToolSigningKeyTable;
  tool_key_pins: ToolKeyPinTable;
  runs: RunTable;
  run_steps: RunStepTable;
  policies: PolicyTable;
  http_input_servers: HttpInputServerTable;
  http_endpoints: HttpEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
  schedules: ScheduleTable;
  schedule_fires: ScheduleFireTable;
  deployments: DeploymentTable;
  workflow_definitions: WorkflowDefinitionTable;
  workflow_executions: WorkflowExecutionTable;
  workflow_steps: WorkflowStepTable;
}

export interface UserTable {
  tenant_id: string;
  id: string;
  username: string;
  username_key: string;
  display_name: string | null;
  /** argon2id PHC string. */
  password_hash: string;
  /** JSON array of role names. */
  roles: string;
  disabled: Generated<number>;
  failed_logins: Generated<number>;
  locked_until: string | null;
  last_login_at: string | null;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  /** The last TOTP time step accepted, so that a code works once. */
  totp_last_step: number | string | null;
  /** JSON array of SHA-256 digests of unused recovery codes. */
  recovery_codes: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface RoleTable {
  tenant_id: string;
  name: string;
  description: string;
  /** JSON array of grants. */
  permissions: string;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  id: string;
  tenant_id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_refreshed_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  source_ip: string;
  user_agent: string;
}

export interface RefreshTokenTable {
  id: string;
  session_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SigningKeyTable {
  kid: string;
  algorithm: string;
  /** JWK JSON. */
  public_jwk: string;
  private_jwk: string;
  created_at: string;
  retired_at: string | null;
}

export interface AuditLogTable {
  tenant_id: string;
  seq: number;
  id: string;
  at: string;
  actor_id: string;
  actor_kind: string;
  actor_name: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  status: number;
  request_id: string;
  source_ip: string;
  /** JSON object. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  tenant_id: string;
  seq: number;
  hash: string;
}

export interface TenantTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  principal_id: string;
  name: string;
  /** SHA-256 of the secret part, hex. The secret itself is never stored. */
  secret_hash: string;
  /** JSON array of grants. */
  permissions: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** JSON array of the agent ids the key is limited to; null for every agent. */
  agent_ids: string | null;
  /** Who created the key (a principal id); empty for the bootstrap key. */
  created_by: Generated<string>;
}

export interface AgentTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  system_prompt: string;
  /** JSON array of tool names. */
  tools: string;
  model: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  state: string;
  version: Generated<number>;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  tasks_completed: Generated<number>;
  tasks_failed: Generated<number>;
  total_response_ms: Generated<number>;
}

/** A secret's metadata. `agent_id` is "*" for the tenant's own secrets. */
export interface SecretTable {
  tenant_id: string;
  agent_id: string;
  name: string;
  description: string | null;
  current_version: number;
  created_at: string;
  updated_at: string;
}

/** One version of a secret, sealed by its backend (ciphertext or a reference); never plaintext. */
export interface SecretVersionTable {
  tenant_id: string;
  agent_id: string;
  name: string;
  version: number;
  backend: string;
  sealed: string;
  created_at: string;
  created_by: string;
  retires_at: string | null;
}

export interface SecretBackendTable {
  tenant_id: string;
  backend_type: string;
  /** Sealed JSON of the Vault settings, credentials included. */
  vault_config: string | null;
  updated_at: string;
}

export interface SecretKeyCheckTable {
  id: string;
  kdf: string;
  salt: string;
  check_value: string;
  created_at: string;
}

export interface MemoryTable {
  tenant_id: string;
  id: string;
  agent_id: string;
  /** JSON object. */
  content: string;
  content_folded: string;
  memory_type: string;
  memory_level: string;
  conversation_id: string | null;
  parent_id: string | null;
  importance: number;
  access_count: Generated<number>;
  /** JSON object. */
  metadata: string;
  created_at: string;
  last_accessed_at: string | null;
  expires_at: string | null;
  superseded_by: string | null;
  /** 1: content is sealed (memoryEncryption) and content_folded empty. */
  sealed: Generated<number>;
}

export interface KnowledgeItemTable {
  tenant_id: string;
  id: string;
  content: string;
  source: string;
  source_type: string;
  chunk_index: number | null;
  agent_id: string | null;
  timestamp: string;
  chunk_count: number;
  created_at: string;
  updated_at: string;
  /** 1: content is sealed (memoryEncryption). */
  sealed: Generated<number>;
}

export interface KnowledgeChunkTable {
  tenant_id: string;
  item_id: string;
  chunk_index: number;
  content: string;
  /** 1: content is sealed (memoryEncryption). */
  sealed: Generated<number>;
}

export interface VectorCollectionTable {
  tenant_id: string;
  name: string;
  vector_size: number;
  distance: string;
  on_disk_payload: number;
  hnsw_config: string | null;
  optimizers_config: string | null;
  created_at: string;
}

export interface VectorPointTable {
  tenant_id: string;
  collection: string;
  id: string;
  id_is_int: number;
  /** JSON array of vector names; [""] for one unnamed vector. */
  vector_names: string;
  /** JSON object. */
  payload: string;
  created_at: string;
  updated_at: string;
}

export interface VectorSpaceTable {
  tenant_id: string;
  space: string;
  dimensions: number;
  metric: string;
  embedder: string;
  generation: Generated<number>;
  /** JSON of the space's HNSW settings; null for the defaults. */
  ann_settings: string | null;
}

export interface VectorEntryTable {
  tenant_id: string;
  space: string;
  id: string;
  key: string;
  /** Float32 little-endian, base64. */
  vector: string;
}

/** A registered MCP server; `config` is JSON (secret references unresolved). */
export interface McpServerTable {
  tenant_id: string;
  name: string;
  config: string;
  created_by: string;
  created_at: string;
}

/** One review of one tool definition. JSON columns: tool_schema, provider. */
export interface ToolReviewTable {
  tenant_id: string;
  id: string;
  tool_name: string;
  description: string;
  tool_schema: string;
  provider: string;
  definition_hash: string;
  mcp_server: string | null;
  status: string;
  priority: string;
  submitted_by: string;
  submitted_at: string;
  analysis_id: string | null;
  analysis_completed_at: string | null;
  risk_score: number | null;
  review_started_at: string | null;
  human_reviewer_id: string | null;
  decided_by: string | null;
  decision_comments: string | null;
  decided_at: string | null;
  signature: string | null;
  signed_at: string | null;
  key_id: string | null;
  signer_id: string | null;
  revoked_at: string | null;
  updated_at: string;
}

export interface ToolAnalysisTable {
  tenant_id: string;
  id: string;
  review_id: string;
  risk_score: number;
  findings: string;
  recommendations: string;
  analyzer: string;
  duration_ms: number;
  completed_at: string;
  /** JSON JudgeRecord of the optional LLM judge; null when none was configured. */
  judge: string | null;
}

export interface ToolSigningKeyTable {
  id: string;
  public_key_pem: string;
  private_key_sealed: string;
  created_at: string;
  revoked_at: string | null;
}

/** The SchemaPin key a tenant pinned for a signer on first use. */
export interface ToolKeyPinTable {
  tenant_id: string;
  signer: string;
  key_id: string;
  public_key_pem: string;
  pinned_at: string;
  pinned_by: string;
}

/** A run of an agent. JSON columns: limits, state (the loop's conversation and queue), pending_approval. */
export interface RunTable {
  tenant_id: string;
  id: string;
  agent_id: string;
  status: string;
  model: string;
  input: string;
  output: string | null;
  error: string | null;
  steps_count: Generated<number>;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  limits: string;
  state: string;
  pending_approval: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  deadline_at: string;
  finished_at: string | null;
  /** The node id of the process driving the run. */
  owner: string;
  lease_until: string;
}

export interface RunStepTable {
  tenant_id: string;
  run_id: string;
  seq: number;
  kind: string;
  at: string;
  duration_ms: number;
  /** JSON. */
  data: string;
}

export interface PolicyTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  agent_id: string | null;
  policy: string;
  effect: string;
  requires_approval: number;
  enabled: number;
  created_at: string;
  updated_at: string;
  /** `dsl:<agent id>` when compiled from a registered .symbi file; null when written through the API. */
  origin: string | null;
}

export interface ScheduleTable {
  tenant_id: string;
  id: string;
  name: string;
  agent_id: string;
  cron: string | null;
  at: string | null;
  timezone: string;
  input: string | null;
  one_shot: number;
  missed: string;
  status: string;
  origin: string | null;
  next_fire_at: string | null;
  last_fired_at: string | null;
  created_by: string;
  /** JSON StoredScope of the creator: the authority fired runs act with. */
  scope: string;
  created_at: string;
  updated_at: string;
}

export interface ScheduleFireTable {
  tenant_id: string;
  schedule_id: string;
  slot_time: string;
  fired_at: string;
  status: string;
  run_id: string | null;
  error: string | null;
  node: string;
}

export interface HttpInputServerTable {
  tenant_id: string;
  id: string;
  /** The contract's HttpInputConfig as JSON, secret references unresolved. */
  config: string;
  /** "running" or "stopped": what the operator asked for, restored after a restart. */
  desired: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface HttpEndpointTable {
  tenant_id: string;
  id: string;
  method: string;
  path: string;
  agent_id: string;
  description: string | null;
  status: string;
  /** 0 or 1. */
  auth_required: number;
  rate_limit: number | null;
  timeout_seconds: number;
  /** JSON array of strings. */
  middleware: string;
  /** JSON object. */
  metadata: string;
  /** JSON WebhookVerification, or null. */
  verification: string | null;
  /** JSON array of PayloadFilter. */
  filters: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveryTable {
  key: string;
  expires_at: string;
}

export interface DeploymentTable {
  tenant_id: string;
  id: string;
  agent_id: string;
  environment: string;
  executor: string;
  /** JSON object: the request's config_overrides. */
  config_overrides: string;
  /** JSON object: the limits the replicas run under. */
  limits: string;
  replicas: number;
  desired: string;
  status: string;
  endpoint_url: string | null;
  restarts: Generated<number>;
  last_error: string | null;
  /** JSON array of strings. */
  last_log: Generated<string>;
  /** JSON array of process group ids. */
  process_groups: Generated<string>;
  owner: string;
  created_by: string;
  deployed_at: string;
  updated_at: string;
  stopped_at: string | null;
}

/** One version of a workflow definition; `spec` is its JSON (parameters, steps, output). */
export interface WorkflowDefinitionTable {
  tenant_id: string;
  id: string;
  version: number;
  name: string;
  description: string;
  spec: string;
  created_by: string;
  created_at: string;
}

/** A workflow execution. JSON columns: parameters (references unresolved), spec, scope, result, pending_approval. */
export interface WorkflowExecutionTable {
  tenant_id: string;
  id: string;
  workflow_id: string;
  workflow_name: string;
  version: number;
  status: string;
  agent_id: string | null;
  parameters: string;
  spec: string;
  scope: string;
  result: string | null;
  error: string | null;
  pending_approval: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  owner: string;
  lease_until: string;
}

/** The persisted state of one step of an execution. JSON columns: output, run_ids, progress. */
export interface WorkflowStepTable {
  tenant_id: string;
  execution_id: string;
  step_id: string;
  position: number;
  type: string;
  status: string;
  attempts: number;
  output: string | null;
  error: string | null;
  run_ids: string;
  progress: string | null;
  started_at: string | null;
  finished_at: string | null;
}
