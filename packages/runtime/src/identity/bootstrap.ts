import { DEFAULT_TENANT_ID } from "../store/migrations/0001_initial.js";
import { generateApiKey, hashSecret } from "./api-key-format.js";
import type { ApiKeyRepository } from "./api-key-repository.js";

/** The first admin key has a fixed id, so two processes starting at once cannot both create one. */
export const BOOTSTRAP_KEY_ID = "admin";

/**
 * On the first start with an empty database and no SYMBIONT_API_KEY, creates an admin key and
 * returns it: the only time it is ever visible. Returns undefined when keys exist already.
 */
export async function createFirstAdminKey(
  keys: ApiKeyRepository,
  now = new Date(),
): Promise<string | undefined> {
  if (await keys.hasAnyKey()) return undefined;
  const { secret, key } = generateApiKey(BOOTSTRAP_KEY_ID);
  const created = await keys.insertIfAbsent({
    id: BOOTSTRAP_KEY_ID,
    tenant_id: DEFAULT_TENANT_ID,
    principal_id: "bootstrap-admin",
    name: "bootstrap admin key",
    secret_hash: hashSecret(secret),
    permissions: JSON.stringify(["admin"]),
    created_at: now.toISOString(),
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    agent_ids: null,
    created_by: "",
  });
  return created ? key : undefined;
}
