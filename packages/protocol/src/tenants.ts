import { z } from "zod";
import { labelText, Timestamp } from "./text.js";
import { Password, Username } from "./users.js";

export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const TenantId = z
  .string()
  .regex(TENANT_ID_PATTERN, "must be 1-64 characters of a-z 0-9 and inner hyphens");

/** A new tenant, and optionally its first administrator so that someone can log into it. */
export const TenantCreateRequest = z.strictObject({
  id: TenantId,
  name: labelText(128),
  admin: z
    .strictObject({ username: Username, password: Password })
    .nullish()
    .describe("The tenant's first admin user"),
});
export type TenantCreateRequest = z.input<typeof TenantCreateRequest>;

export const TenantUpdateRequest = z.strictObject({ name: labelText(128) });
export type TenantUpdateRequest = z.input<typeof TenantUpdateRequest>;

export const TenantInfo = z.object({
  id: z.string(),
  name: z.string(),
  created_at: Timestamp,
  user_count: z.number().int(),
});
export type TenantInfo = z.infer<typeof TenantInfo>;

export const TenantList = z.object({ tenants: z.array(TenantInfo) });
export type TenantList = z.infer<typeof TenantList>;

export const TenantIdParams = z.strictObject({ tenant_id: TenantId });
