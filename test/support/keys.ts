import { generateApiKey, hashSecret } from "../../packages/runtime/src/identity/api-key-format.js";
import type { TestRuntime } from "./runtime.js";

export interface KeySpec {
  tenant?: string;
  permissions: string[];
  expiresAt?: string | null;
  revokedAt?: string | null;
}

/**
 * Puts a key straight into the runtime's database (creating its tenant if needed), for tests that
 * need keys of other tenants or in states the API does not hand out.
 */
export async function insertApiKey(
  server: TestRuntime,
  spec: KeySpec,
): Promise<{ id: string; secret: string; key: string }> {
  const generated = generateApiKey();
  const tenant = spec.tenant ?? "default";
  const db = server.runtime.store.db;
  await db
    .insertInto("tenants")
    .values({ id: tenant, name: tenant, created_at: new Date().toISOString() })
    .onConflict((c) => c.column("id").doNothing())
    .execute();
  await db
    .insertInto("api_keys")
    .values({
      id: generated.id,
      tenant_id: tenant,
      principal_id: `key:${generated.id}`,
      name: `key ${generated.id}`,
      secret_hash: hashSecret(generated.secret),
      permissions: JSON.stringify(spec.permissions),
      created_at: new Date().toISOString(),
      expires_at: spec.expiresAt ?? null,
      revoked_at: spec.revokedAt ?? null,
      last_used_at: null,
    })
    .execute();
  return generated;
}
