import type { Kysely, Selectable } from "kysely";
import type { Store } from "../store/database.js";
import type { Database, SecretBackendTable, SecretTable, SecretVersionTable } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";
import type { KeyCheckRecord } from "./master-key.js";

export type SecretRow = Selectable<SecretTable>;
export type SecretVersionRow = Selectable<SecretVersionTable>;
export type SecretBackendRow = Selectable<SecretBackendTable>;

/** A secret's identity. The tenant always comes from the caller's scope, never from the request. */
export interface SecretId {
  tenantId: string;
  agentId: string;
  name: string;
}

export interface NewVersion {
  backend: string;
  /** Seals the value for the version number the lock handed out. */
  seal: (version: number) => Promise<string>;
  createdBy: string;
  at: string;
  /** null leaves the description as it is. */
  description: string | null;
  /** When set, the version that was current stays readable until then (a rotation). */
  retirePreviousAt: string | null;
  /** Versions kept besides the current one; older ones are dropped. */
  keep: number;
}

export interface WrittenVersion {
  secret: SecretRow;
  previous: SecretRow | undefined;
  /** Versions removed from the database, whose backend copies the caller discards. */
  dropped: SecretVersionRow[];
}

const lockKey = (id: SecretId) => `secret:${JSON.stringify([id.tenantId, id.agentId, id.name])}`;

/** Secrets, their versions and each tenant's backend choice. Every query is filtered by tenant. */
export class SecretRepository {
  constructor(private readonly store: Store) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async keyCheck(): Promise<KeyCheckRecord | undefined> {
    const row = await this.db
      .selectFrom("secret_key_check")
      .selectAll()
      .where("id", "=", "master")
      .executeTakeFirst();
    return row
      ? { kdf: row.kdf as KeyCheckRecord["kdf"], salt: row.salt, check: row.check_value }
      : undefined;
  }

  /** Records the check unless another node did first; answers the record that is now in force. */
  async saveKeyCheck(record: KeyCheckRecord, at: string): Promise<KeyCheckRecord> {
    await this.db
      .insertInto("secret_key_check")
      .values({ id: "master", kdf: record.kdf, salt: record.salt, check_value: record.check, created_at: at })
      .onConflict((c) => c.column("id").doNothing())
      .execute();
    return (await this.keyCheck()) ?? record;
  }

  backendOf(tenantId: string): Promise<SecretBackendRow | undefined> {
    return this.db
      .selectFrom("secret_backends")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
  }

  async saveBackend(row: SecretBackendRow): Promise<void> {
    await this.db
      .insertInto("secret_backends")
      .values(row)
      .onConflict((c) =>
        c.column("tenant_id").doUpdateSet({
          backend_type: row.backend_type,
          vault_config: row.vault_config,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  find(id: SecretId): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom("secrets")
      .selectAll()
      .where("tenant_id", "=", id.tenantId)
      .where("agent_id", "=", id.agentId)
      .where("name", "=", id.name)
      .executeTakeFirst();
  }

  /** An owner's secrets, by name, each with the backend of its current version. */
  listByOwner(tenantId: string, agentId: string): Promise<(SecretRow & { backend: string })[]> {
    return this.db
      .selectFrom("secrets as s")
      .innerJoin("secret_versions as v", (join) =>
        join
          .onRef("v.tenant_id", "=", "s.tenant_id")
          .onRef("v.agent_id", "=", "s.agent_id")
          .onRef("v.name", "=", "s.name")
          .onRef("v.version", "=", "s.current_version"),
      )
      .selectAll("s")
      .select("v.backend")
      .where("s.tenant_id", "=", tenantId)
      .where("s.agent_id", "=", agentId)
      .orderBy("s.name")
      .execute();
  }

  async countByTenant(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom("secrets")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("tenant_id", "=", tenantId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  versions(id: SecretId): Promise<SecretVersionRow[]> {
    return this.db
      .selectFrom("secret_versions")
      .selectAll()
      .where("tenant_id", "=", id.tenantId)
      .where("agent_id", "=", id.agentId)
      .where("name", "=", id.name)
      .orderBy("version", "desc")
      .execute();
  }

  version(id: SecretId, version: number): Promise<SecretVersionRow | undefined> {
    return this.db
      .selectFrom("secret_versions")
      .selectAll()
      .where("tenant_id", "=", id.tenantId)
      .where("agent_id", "=", id.agentId)
      .where("name", "=", id.name)
      .where("version", "=", version)
      .executeTakeFirst();
  }

  /**
   * Writes the next version and makes it current, in one transaction under the secret's lock, so
   * concurrent writers get distinct version numbers and a crash leaves the previous version current.
   */
  writeVersion(id: SecretId, next: NewVersion): Promise<WrittenVersion> {
    return withWriteLock(this.store, lockKey(id), async (db) => {
      const previous = await db
        .selectFrom("secrets")
        .selectAll()
        .where("tenant_id", "=", id.tenantId)
        .where("agent_id", "=", id.agentId)
        .where("name", "=", id.name)
        .executeTakeFirst();
      const highest = await db
        .selectFrom("secret_versions")
        .select((eb) => eb.fn.max("version").as("v"))
        .where("tenant_id", "=", id.tenantId)
        .where("agent_id", "=", id.agentId)
        .where("name", "=", id.name)
        .executeTakeFirst();
      const version = Math.max(Number(highest?.v ?? 0), previous?.current_version ?? 0) + 1;
      const sealed = await next.seal(version);
      await db
        .insertInto("secret_versions")
        .values({
          tenant_id: id.tenantId,
          agent_id: id.agentId,
          name: id.name,
          version,
          backend: next.backend,
          sealed,
          created_at: next.at,
          created_by: next.createdBy,
          retires_at: null,
        })
        .execute();
      if (previous && next.retirePreviousAt) {
        await scoped(db.updateTable("secret_versions"), id)
          .set({ retires_at: next.retirePreviousAt })
          .where("version", "=", previous.current_version)
          .execute();
      }
      const secret: SecretRow = previous
        ? {
            ...previous,
            current_version: version,
            updated_at: next.at,
            description: next.description ?? previous.description,
          }
        : {
            tenant_id: id.tenantId,
            agent_id: id.agentId,
            name: id.name,
            description: next.description,
            current_version: version,
            created_at: next.at,
            updated_at: next.at,
          };
      if (previous) {
        await scoped(db.updateTable("secrets"), id)
          .set({ current_version: version, updated_at: next.at, description: secret.description })
          .execute();
      } else {
        await db.insertInto("secrets").values(secret).execute();
      }
      const dropped = await dropExpired(db, id, version, next.at, next.keep);
      return { secret, previous, dropped };
    });
  }

  /** Removes the secret and all its versions; answers the removed versions, or undefined if absent. */
  delete(id: SecretId): Promise<SecretVersionRow[] | undefined> {
    return withWriteLock(this.store, lockKey(id), async (db) => {
      const versions = await scoped(db.selectFrom("secret_versions").selectAll(), id).execute();
      const removed = await scoped(db.deleteFrom("secrets"), id).executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) return undefined;
      await scoped(db.deleteFrom("secret_versions"), id).execute();
      return versions;
    });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the three query builders share only their where()
function scoped<Q extends { where: (...args: any[]) => any }>(query: Q, id: SecretId): Q {
  return query
    .where("tenant_id", "=", id.tenantId)
    .where("agent_id", "=", id.agentId)
    .where("name", "=", id.name) as Q;
}

/** Versions past their grace period, and the oldest beyond `keep`, leave the database. */
async function dropExpired(
  db: Kysely<Database>,
  id: SecretId,
  current: number,
  now: string,
  keep: number,
): Promise<SecretVersionRow[]> {
  const versions = await scoped(db.selectFrom("secret_versions").selectAll(), id)
    .orderBy("version", "desc")
    .execute();
  const older = versions.filter((v) => v.version !== current);
  const dropped = older.filter((v, index) => index >= keep || (v.retires_at !== null && v.retires_at <= now));
  if (dropped.length > 0) {
    await scoped(db.deleteFrom("secret_versions"), id)
      .where(
        "version",
        "in",
        dropped.map((v) => v.version),
      )
      .execute();
  }
  return dropped;
}
