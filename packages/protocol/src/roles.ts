import { z } from "zod";
import { Grant } from "./permissions.js";
import { storableText, Timestamp } from "./text.js";

/** Roles every tenant has. Their grants are fixed in the runtime and listed by `GET /roles`. */
export const BuiltInRole = z.enum(["admin", "operator", "viewer", "user"]);
export type BuiltInRole = z.infer<typeof BuiltInRole>;

/** The grants of each built-in role; here so the SDK and the docs say the same as the runtime. */
export const BUILT_IN_ROLE_GRANTS: Record<BuiltInRole, readonly Grant[]> = {
  admin: ["admin"],
  operator: ["read", "write", "execute", "delete"],
  user: ["read", "write", "execute"],
  viewer: ["read"],
};

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const RoleName = z
  .string()
  .regex(ROLE_NAME_PATTERN, "must be 1-64 characters of a-z 0-9 _ -, starting with a letter");

const RoleGrants = z
  .array(Grant)
  .min(1, "must grant at least one permission")
  .max(64, "must list at most 64 permissions")
  .refine((grants) => new Set(grants).size === grants.length, "must not repeat a permission");

export const RoleCreateRequest = z.strictObject({
  name: RoleName.refine(
    (name) => !BuiltInRole.safeParse(name).success,
    "is the name of a built-in role; choose another",
  ),
  description: storableText(1024).default(""),
  permissions: RoleGrants,
});
export type RoleCreateRequest = z.input<typeof RoleCreateRequest>;

export const RoleUpdateRequest = z
  .strictObject({
    description: storableText(1024).nullish(),
    permissions: RoleGrants.nullish(),
  })
  .refine((body) => body.description != null || body.permissions != null, {
    message: "must change description or permissions",
  });
export type RoleUpdateRequest = z.input<typeof RoleUpdateRequest>;

export const RoleInfo = z.object({
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
  built_in: z.boolean(),
  created_at: Timestamp.nullable(),
  updated_at: Timestamp.nullable(),
});
export type RoleInfo = z.infer<typeof RoleInfo>;

export const RoleList = z.object({ roles: z.array(RoleInfo) });
export type RoleList = z.infer<typeof RoleList>;

export const RoleNameParams = z.strictObject({ role_name: RoleName });

export const RoleDeletedResponse = z.object({ deleted: z.literal(true), name: z.string() });
