import { z } from "zod";
import { labelText, ResourceName, storableText, Timestamp } from "./text.js";

/**
 * The agent id under which a tenant keeps secrets that belong to no agent. `*` is outside the
 * name pattern, so it can never be a real agent's id.
 */
export const TENANT_WIDE = "*";

/** An agent id, or `*` for the tenant's own secrets. */
export const SecretOwner = z.union([z.literal(TENANT_WIDE), ResourceName]);

export const SecretName = ResourceName;

/** Secret values are text (passwords, tokens, PEM keys); 64 KiB is far above any real one. */
export const MAX_SECRET_VALUE_LENGTH = 65_536;
export const SecretValue = storableText(MAX_SECRET_VALUE_LENGTH, 1);

export const SecretBackendType = z.enum(["vault", "encrypted_file", "os_keychain"]);
export type SecretBackendType = z.infer<typeof SecretBackendType>;

export const VaultAuthMethod = z.enum(["token", "kubernetes", "aws_iam", "approle"]);
export type VaultAuthMethod = z.infer<typeof VaultAuthMethod>;

const credential = storableText(8192, 1).nullish();

/**
 * The contract's VaultConfig, plus our optional extensions (namespace, mount, path prefix, the
 * Kubernetes auth mount and token file). Unknown keys are refused so that a typo is not ignored.
 */
export const VaultConfig = z.strictObject({
  url: z
    .string()
    .max(2048, "must be at most 2048 characters")
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an http:// or https:// URL of the Vault server"),
  auth_method: VaultAuthMethod,
  token: credential,
  role_id: credential,
  secret_id: credential,
  kubernetes_role: credential,
  aws_role: credential,
  namespace: labelText(256).nullish().describe("Vault Enterprise namespace (X-Vault-Namespace)"),
  mount: ResourceName.nullish().describe('KV v2 mount; default "secret"'),
  path_prefix: z
    .string()
    .regex(/^[A-Za-z0-9._@-]+(\/[A-Za-z0-9._@-]+)*$/, "must be path segments of A-Z a-z 0-9 . _ @ -")
    .refine((p) => !p.split("/").some((s) => /^\.+$/.test(s)), "must not contain . or .. segments")
    .max(512, "must be at most 512 characters")
    .nullish()
    .describe('Where under the mount secrets are kept; default "symbiont"'),
  auth_mount: ResourceName.nullish().describe("Mount of the AppRole or Kubernetes auth method"),
  kubernetes_token_path: z.string().min(1).max(1024).nullish(),
});
export type VaultConfig = z.infer<typeof VaultConfig>;

/** The contract's SecretBackendConfig: which backend stores this tenant's new secrets. */
export const SecretBackendConfig = z.strictObject({
  backend_type: SecretBackendType,
  vault_config: VaultConfig.nullish(),
  file_path: z.string().max(4096).nullish(),
  encryption_key: z.string().max(8192).nullish(),
});
export type SecretBackendConfig = z.infer<typeof SecretBackendConfig>;

export const SecretBackendConfigured = z.object({
  status: z.literal("configured"),
  backend_type: SecretBackendType,
});

/** The contract's SecretRequest. `secret_value` is optional there, but storing needs one. */
export const SecretRequest = z.strictObject({
  agent_id: SecretOwner,
  secret_name: SecretName,
  secret_value: SecretValue.nullish(),
  description: storableText(1024).nullish(),
});
export type SecretRequest = z.infer<typeof SecretRequest>;

export const SecretResponse = z.object({
  secret_name: z.string(),
  agent_id: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp.nullable(),
  version: z.int().min(1),
  backend: SecretBackendType,
  description: z.string().nullable(),
});
export type SecretResponse = z.infer<typeof SecretResponse>;

/** The contract requires `value`; the other fields are ours. */
export const SecretValueResponse = z.object({
  agent_id: z.string(),
  secret_name: z.string(),
  value: z.string(),
  version: z.int().min(1),
});
export type SecretValueResponse = z.infer<typeof SecretValueResponse>;

export const SecretMetadata = z.object({
  name: z.string(),
  description: z.string().nullable(),
  version: z.int().min(1),
  backend: SecretBackendType,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type SecretMetadata = z.infer<typeof SecretMetadata>;

/** The contract's SecretListResponse (names only), plus metadata without values. */
export const SecretListResponse = z.object({
  secrets: z.array(z.string()),
  agent_id: z.string(),
  items: z.array(SecretMetadata),
});
export type SecretListResponse = z.infer<typeof SecretListResponse>;

export const SecretDeletedResponse = z.object({
  deleted: z.literal(true),
  agent_id: z.string(),
  secret_name: z.string(),
});

export const SecretVersionInfo = z.object({
  version: z.int().min(1),
  current: z.boolean(),
  backend: SecretBackendType,
  created_at: Timestamp,
  created_by: z.string(),
  retires_at: Timestamp.nullable().describe("After a rotation: when this version stops being readable"),
});
export type SecretVersionInfo = z.infer<typeof SecretVersionInfo>;

export const SecretVersionList = z.object({
  agent_id: z.string(),
  secret_name: z.string(),
  current_version: z.int().min(1),
  versions: z.array(SecretVersionInfo).describe("Newest first"),
});
export type SecretVersionList = z.infer<typeof SecretVersionList>;

export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

export const SecretRotateRequest = z.strictObject({
  value: SecretValue,
  grace_seconds: z
    .int("must be a whole number of seconds")
    .min(0, "must be at least 0")
    .max(MAX_GRACE_SECONDS, `must be at most ${MAX_GRACE_SECONDS} (30 days)`)
    .nullish()
    .describe("How long the previous version stays readable; the server default when absent"),
});
export type SecretRotateRequest = z.infer<typeof SecretRotateRequest>;

export const SecretRollbackRequest = z.strictObject({
  version: z.int("must be a whole number").min(1, "must be at least 1"),
});
export type SecretRollbackRequest = z.infer<typeof SecretRollbackRequest>;

export const SecretChangedResponse = SecretResponse.extend({
  previous_version: z.int().min(1),
  previous_retires_at: Timestamp.nullable(),
});
export type SecretChangedResponse = z.infer<typeof SecretChangedResponse>;

export const SecretOwnerParams = z.strictObject({ agent_id: SecretOwner });
export const SecretParams = z.strictObject({ agent_id: SecretOwner, secret_name: SecretName });
export const SecretVersionParams = z.strictObject({
  agent_id: SecretOwner,
  secret_name: SecretName,
  version: z.coerce
    .number("must be a version number")
    .int("must be a whole number")
    .min(1)
    .max(2 ** 31),
});
