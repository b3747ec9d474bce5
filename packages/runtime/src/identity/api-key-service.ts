import type { ApiKeyCreatedResponse, ApiKeyCreateRequest, ApiKeyInfo } from "@symbiont/protocol";
import { AppError, fieldError, notFound } from "../server/app-error.js";
import { formatApiKey, generateApiKey, hashSecret } from "./api-key-format.js";
import type { ApiKeyRepository, ApiKeyRow } from "./api-key-repository.js";
import { mayGrant } from "./grants.js";
import type { Scope } from "./scope.js";

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: `${formatApiKey(row.id, "")}…`,
    permissions: JSON.parse(row.permissions) as string[],
    agent_ids: row.agent_ids === null ? null : (JSON.parse(row.agent_ids) as string[]),
    created_at: row.created_at,
    created_by: row.created_by,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    last_used_at: row.last_used_at,
  };
}

/** API keys of a tenant: issued within the issuer's own rights, listed without secrets, revoked at once. */
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(scope: Scope, request: ApiKeyCreateRequest): Promise<ApiKeyCreatedResponse> {
    const now = this.now();
    request.permissions.forEach((grant, index) => {
      if (!mayGrant(scope.grants, grant)) {
        throw fieldError(
          "FORBIDDEN",
          `body.permissions.${index}`,
          `you do not hold "${grant}" yourself, so you cannot grant it`,
        );
      }
    });
    const agentIds = request.agent_ids ?? null;
    if (scope.agentIds !== null) {
      if (agentIds === null) {
        throw fieldError(
          "FORBIDDEN",
          "body.agent_ids",
          "you are limited to some agents, so the new key must name them too",
        );
      }
      const outside = agentIds.filter((id) => !scope.agentIds?.has(id));
      if (outside.length > 0)
        throw fieldError("FORBIDDEN", "body.agent_ids", `you cannot reach ${outside.join(", ")}`);
    }
    const expiresAt = request.expires_at ?? null;
    if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) {
      throw fieldError("VALIDATION_FAILED", "body.expires_at", "must be in the future");
    }

    const { id, secret, key } = generateApiKey();
    const row: ApiKeyRow = {
      id,
      tenant_id: scope.tenantId,
      principal_id: `key:${id}`,
      name: request.name,
      secret_hash: hashSecret(secret),
      permissions: JSON.stringify(request.permissions),
      created_at: now.toISOString(),
      expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      revoked_at: null,
      last_used_at: null,
      agent_ids: agentIds === null ? null : JSON.stringify([...new Set(agentIds)]),
      created_by: scope.principalId,
    };
    if (!(await this.keys.insertIfAbsent(row))) {
      throw new AppError("INTERNAL", "A freshly generated key id collided; try again");
    }
    return { ...toInfo(row), key };
  }

  async list(scope: Scope): Promise<{ keys: ApiKeyInfo[] }> {
    return { keys: (await this.keys.listByTenant(scope)).map(toInfo) };
  }

  async get(scope: Scope, id: string): Promise<ApiKeyInfo> {
    const row = await this.keys.findByTenantAndId(scope, id);
    if (!row) throw notFound(`API key "${id}"`);
    return toInfo(row);
  }

  async revoke(scope: Scope, id: string): Promise<{ revoked: true; id: string }> {
    const row = await this.keys.revoke(scope, id, this.now().toISOString());
    if (!row) throw notFound(`API key "${id}"`);
    return { revoked: true, id };
  }
}
