import {
  type SecretBackendConfig,
  type SecretBackendType,
  type SecretChangedResponse,
  type SecretListResponse,
  type SecretRequest,
  type SecretResponse,
  type SecretValueResponse,
  type SecretVersionList,
  TENANT_WIDE,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import type { AuditActor, AuditTrail } from "../audit/audit-trail.js";
import { type Scope, scopeReachesAgent } from "../identity/scope.js";
import { AppError, notFound, validationFailed } from "../server/app-error.js";
import { TamperedSecretError } from "./sealed-box.js";
import type { SecretBackends } from "./secret-backends.js";
import type { SecretId, SecretRepository, SecretRow, SecretVersionRow } from "./secret-repository.js";
import { BackendFailure, type SecretLocation } from "./value-store.js";
import { VaultError } from "./vault-client.js";

/** Who reads a value and why; every read becomes an audit entry of the tenant. */
export interface ReadContext {
  actor: AuditActor;
  requestId: string;
  sourceIp: string;
  /** What the value is read for, e.g. "api" or "mcp server env". */
  purpose: string;
}

export interface SecretSettings {
  /** Versions kept besides the current one, for rollback. */
  keepVersions: number;
  /** How long a rotated-out version stays readable when the request names no grace period. */
  rotationGraceSeconds: number;
}

function translate(error: unknown, what: string): never {
  if (error instanceof VaultError) {
    throw new AppError("UNAVAILABLE", `${what}: ${error.message}`, { backend: "vault" });
  }
  if (error instanceof TamperedSecretError) {
    throw new AppError(
      "INTERNAL",
      `${what}: ${error.message}. The stored data was left as it is; restore it from a backup or store a new value.`,
      { reason: "ciphertext_rejected" },
    );
  }
  if (error instanceof BackendFailure) throw new AppError("UNAVAILABLE", `${what}: ${error.message}`);
  throw error;
}

const describe = (id: SecretId) =>
  id.agentId === TENANT_WIDE
    ? `Secret "${id.name}" of the tenant`
    : `Secret "${id.name}" of agent "${id.agentId}"`;

type StoredValue = Pick<SecretVersionRow, "backend" | "sealed" | "version">;

const locationOf = (id: SecretId, version: number): SecretLocation => ({ ...id, version });

/** Secrets of a tenant, per agent or tenant-wide: versions, rotation, rollback, audited reads. */
export class SecretService {
  constructor(
    private readonly secrets: SecretRepository,
    private readonly backends: SecretBackends,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    private readonly settings: () => SecretSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async configure(scope: Scope, config: SecretBackendConfig) {
    await this.backends.configure(scope.tenantId, config, this.now().toISOString());
    return { status: "configured" as const, backend_type: config.backend_type };
  }

  async store(scope: Scope, request: SecretRequest): Promise<SecretResponse> {
    const id = this.idFor(scope, request.agent_id, request.secret_name);
    if (!this.reaches(scope, id.agentId)) {
      throw new AppError("FORBIDDEN", `This credential may not manage secrets of "${id.agentId}"`, {
        agent_id: id.agentId,
      });
    }
    if (request.secret_value == null) {
      throw validationFailed([{ field: "body.secret_value", message: "is required to store a secret" }]);
    }
    const written = await this.write(scope, id, request.secret_value, request.description ?? null, null);
    return this.toResponse(written.secret, written.backend);
  }

  async list(scope: Scope, agentId: string): Promise<SecretListResponse> {
    const rows = this.reaches(scope, agentId) ? await this.secrets.listByOwner(scope.tenantId, agentId) : [];
    const items = rows.map((row) => ({
      name: row.name,
      description: row.description,
      version: row.current_version,
      backend: row.backend as SecretBackendType,
      created_at: row.created_at,
      updated_at: row.updated_at,
    }));
    return { secrets: rows.map((row) => row.name), agent_id: agentId, items };
  }

  readCurrent(
    scope: Scope,
    agentId: string,
    name: string,
    context: ReadContext,
  ): Promise<SecretValueResponse> {
    return this.audited(context, { tenantId: scope.tenantId, agentId, name }, undefined, async () => {
      const secret = await this.require(scope, agentId, name);
      return this.readVersionOf(this.idOf(secret), secret.current_version);
    });
  }

  readVersion(
    scope: Scope,
    agentId: string,
    name: string,
    version: number,
    context: ReadContext,
  ): Promise<SecretValueResponse> {
    return this.audited(context, { tenantId: scope.tenantId, agentId, name }, version, async () => {
      const secret = await this.require(scope, agentId, name);
      return this.readVersionOf(this.idOf(secret), version);
    });
  }

  /**
   * For the runtime's own use (references in MCP env, provider keys, workflows): a secret of the
   * agent, else the tenant's of that name; audited like an API read. Undefined when neither exists.
   */
  async readForUse(
    tenantId: string,
    agentId: string | undefined,
    name: string,
    context: ReadContext,
  ): Promise<SecretValueResponse | undefined> {
    const owners = agentId && agentId !== TENANT_WIDE ? [agentId, TENANT_WIDE] : [TENANT_WIDE];
    for (const owner of owners) {
      const id = { tenantId, agentId: owner, name };
      const secret = await this.secrets.find(id);
      if (secret)
        return this.audited(context, id, undefined, () => this.readVersionOf(id, secret.current_version));
    }
    return undefined;
  }

  async versions(scope: Scope, agentId: string, name: string): Promise<SecretVersionList> {
    const secret = await this.require(scope, agentId, name);
    const rows = await this.secrets.versions(this.idOf(secret));
    const now = this.now().toISOString();
    return {
      agent_id: agentId,
      secret_name: name,
      current_version: secret.current_version,
      versions: rows
        .filter((row) => row.retires_at === null || row.retires_at > now)
        .map((row) => ({
          version: row.version,
          current: row.version === secret.current_version,
          backend: row.backend as SecretBackendType,
          created_at: row.created_at,
          created_by: row.created_by,
          retires_at: row.retires_at,
        })),
    };
  }

  async rotate(
    scope: Scope,
    agentId: string,
    name: string,
    value: string,
    graceSeconds: number | null | undefined,
  ): Promise<SecretChangedResponse> {
    const existing = await this.require(scope, agentId, name);
    const grace = graceSeconds ?? this.settings().rotationGraceSeconds;
    const retiresAt = new Date(this.now().getTime() + grace * 1000).toISOString();
    const written = await this.write(scope, this.idOf(existing), value, null, retiresAt);
    return this.changed(written, retiresAt);
  }

  async rollback(
    scope: Scope,
    agentId: string,
    name: string,
    version: number,
  ): Promise<SecretChangedResponse> {
    const existing = await this.require(scope, agentId, name);
    const id = this.idOf(existing);
    if (version === existing.current_version) {
      throw validationFailed([{ field: "body.version", message: `is already the current version` }]);
    }
    const { value } = await this.readVersionOf(id, version);
    const written = await this.write(scope, id, value, null, null);
    return this.changed(written, null);
  }

  async delete(scope: Scope, agentId: string, name: string) {
    const id: SecretId = { tenantId: scope.tenantId, agentId, name };
    const removed = this.reaches(scope, agentId) ? await this.secrets.delete(id) : undefined;
    if (!removed) throw notFound(describe(id));
    await this.discard(id, removed, true);
    return { deleted: true as const, agent_id: agentId, secret_name: name };
  }

  countByTenant(scope: Scope): Promise<number> {
    return this.secrets.countByTenant(scope.tenantId);
  }

  private async write(
    scope: Scope,
    id: SecretId,
    value: string,
    description: string | null,
    retirePreviousAt: string | null,
  ) {
    let store: Awaited<ReturnType<SecretBackends["forWrite"]>>;
    try {
      store = await this.backends.forWrite(scope.tenantId);
    } catch (error) {
      translate(error, `${describe(id)} was not stored`);
    }
    const at = this.now().toISOString();
    let written: Awaited<ReturnType<SecretRepository["writeVersion"]>>;
    let external: string | undefined;
    try {
      // Vault and the keychain are written first, outside the database lock (see ValueStore.external).
      if (store.external) external = await store.put(locationOf(id, 0), value);
      const stored = external;
      written = await this.secrets.writeVersion(id, {
        backend: store.type,
        seal: (version) =>
          stored === undefined ? store.put(locationOf(id, version), value) : Promise.resolve(stored),
        createdBy: scope.principalId,
        at,
        description,
        retirePreviousAt,
        keep: this.settings().keepVersions,
      });
    } catch (error) {
      // The database refused the version: the value written to Vault or the keychain is an orphan.
      if (external !== undefined)
        await this.discard(id, [{ backend: store.type, sealed: external, version: 0 }], false);
      translate(error, `${describe(id)} was not stored`);
    }
    await this.discard(id, written.dropped, false);
    return { ...written, backend: store.type };
  }

  /** Removes backend copies of versions the database no longer has; a failure is logged, not fatal. */
  private async discard(id: SecretId, versions: StoredValue[], wholeSecret: boolean): Promise<void> {
    const byBackend = new Map<string, StoredValue[]>();
    for (const row of versions) byBackend.set(row.backend, [...(byBackend.get(row.backend) ?? []), row]);
    for (const [backend, rows] of byBackend) {
      try {
        const store = await this.backends.forType(id.tenantId, backend as SecretBackendType);
        const first = rows[0] as StoredValue;
        await store.discard(
          locationOf(id, first.version),
          rows.map((row) => row.sealed),
          wholeSecret,
        );
      } catch (error) {
        this.log.warn(
          { err: (error as Error).message, backend, secret: id.name, agent: id.agentId, tenant: id.tenantId },
          "old secret versions could not be removed from their backend",
        );
      }
    }
  }

  private async readVersionOf(id: SecretId, version: number): Promise<SecretValueResponse> {
    const row = await this.secrets.version(id, version);
    if (!row || (row.retires_at !== null && row.retires_at <= this.now().toISOString())) {
      throw notFound(`Version ${version} of ${describe(id).toLowerCase()} (retired or never written)`);
    }
    let value: string;
    try {
      const store = await this.backends.forType(id.tenantId, row.backend as SecretBackendType);
      value = await store.get(locationOf(id, version), row.sealed);
    } catch (error) {
      translate(error, `${describe(id)} version ${version} could not be read`);
    }
    return { agent_id: id.agentId, secret_name: id.name, value, version };
  }

  private async audited<T>(
    context: ReadContext,
    id: SecretId,
    version: number | undefined,
    read: () => Promise<T & { version: number }>,
  ): Promise<T> {
    const record = (status: number, details: Record<string, unknown>) =>
      this.audit
        .record({
          actor: context.actor,
          action: "readSecretValue",
          target: { type: "secret", id: `${id.agentId}/${id.name}` },
          status,
          requestId: context.requestId,
          sourceIp: context.sourceIp,
          details: { purpose: context.purpose, ...details },
        })
        .catch((error: unknown) =>
          this.log.error(
            { err: (error as Error).message, reqId: context.requestId },
            "audit entry could not be written",
          ),
        );
    try {
      const result = await read();
      await record(200, { version: result.version });
      return result;
    } catch (error) {
      await record(error instanceof AppError ? error.status : 500, {
        ...(version === undefined ? {} : { version }),
        code: error instanceof AppError ? error.code : "INTERNAL",
      });
      throw error;
    }
  }

  private async require(scope: Scope, agentId: string, name: string): Promise<SecretRow> {
    const id: SecretId = { tenantId: scope.tenantId, agentId, name };
    const row = this.reaches(scope, agentId) ? await this.secrets.find(id) : undefined;
    if (!row) throw notFound(describe(id));
    return row;
  }

  /** A key limited to some agents reaches their secrets only; tenant-wide ones need an unlimited key. */
  private reaches(scope: Scope, agentId: string): boolean {
    return agentId === TENANT_WIDE ? scope.agentIds === null : scopeReachesAgent(scope, agentId);
  }

  private idFor(scope: Scope, agentId: string, name: string): SecretId {
    return { tenantId: scope.tenantId, agentId, name };
  }

  private idOf(row: SecretRow): SecretId {
    return { tenantId: row.tenant_id, agentId: row.agent_id, name: row.name };
  }

  private toResponse(row: SecretRow, backend: SecretBackendType): SecretResponse {
    return {
      secret_name: row.name,
      agent_id: row.agent_id,
      created_at: row.created_at,
      updated_at: row.updated_at,
      version: row.current_version,
      backend,
      description: row.description,
    };
  }

  private changed(
    written: { secret: SecretRow; previous: SecretRow | undefined; backend: SecretBackendType },
    retiresAt: string | null,
  ): SecretChangedResponse {
    return {
      ...this.toResponse(written.secret, written.backend),
      previous_version: written.previous?.current_version ?? written.secret.current_version,
      previous_retires_at: retiresAt,
    };
  }
}
