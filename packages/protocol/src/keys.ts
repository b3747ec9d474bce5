import { z } from "zod";
import { AgentId } from "./agents.js";
import { Grant } from "./permissions.js";
import { labelText, ResourceName, Timestamp } from "./text.js";

/**
 * A new API key: what it may do (never more than its creator may), optionally which agents it may
 * touch, and optionally when it stops working. `null` means "not given", as everywhere.
 */
export const ApiKeyCreateRequest = z.strictObject({
  name: labelText(128),
  permissions: z
    .array(Grant)
    .min(1, "must grant at least one permission")
    .max(32, "must list at most 32 permissions")
    .refine((grants) => new Set(grants).size === grants.length, "must not repeat a permission"),
  agent_ids: z
    .array(AgentId)
    .min(1, "must name at least one agent, or be null for every agent")
    .max(256, "must list at most 256 agents")
    .nullish(),
  expires_at: Timestamp.nullish().describe("When the key stops working; null for never"),
});
export type ApiKeyCreateRequest = z.infer<typeof ApiKeyCreateRequest>;

export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  /** The key's recognisable start; the secret part is never shown again. */
  prefix: z.string(),
  permissions: z.array(z.string()),
  agent_ids: z.array(z.string()).nullable(),
  created_at: Timestamp,
  created_by: z.string(),
  expires_at: Timestamp.nullable(),
  revoked_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const ApiKeyCreatedResponse = ApiKeyInfo.extend({
  key: z.string().describe("The whole key. Shown only in this answer; store it now"),
});
export type ApiKeyCreatedResponse = z.infer<typeof ApiKeyCreatedResponse>;

export const ApiKeyList = z.object({ keys: z.array(ApiKeyInfo) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyRevokedResponse = z.object({ revoked: z.literal(true), id: z.string() });

export const ApiKeyIdParams = z.strictObject({ key_id: ResourceName });
