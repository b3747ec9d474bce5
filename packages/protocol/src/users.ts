import { z } from "zod";
import { RoleName } from "./roles.js";
import { labelText, storableText, Timestamp } from "./text.js";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
/** Usernames are compared without regard to case: `Alice` and `alice` are one user. */
export const Username = z
  .string()
  .regex(
    USERNAME_PATTERN,
    "must be 1-128 characters of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit",
  );

/**
 * The shape half of the password policy. The runtime adds the rest (not a common password, not
 * the username) and names the field when it refuses one.
 */
export const Password = storableText(PASSWORD_MAX_LENGTH).refine(
  (s) => [...s].length >= PASSWORD_MIN_LENGTH,
  `must be at least ${PASSWORD_MIN_LENGTH} characters`,
);

const UserRoles = z
  .array(RoleName)
  .max(16, "must list at most 16 roles")
  .refine((roles) => new Set(roles).size === roles.length, "must not repeat a role");

export const UserCreateRequest = z.strictObject({
  username: Username,
  password: Password,
  display_name: labelText(128).nullish(),
  roles: UserRoles.default(["user"]),
});
export type UserCreateRequest = z.input<typeof UserCreateRequest>;

/** Fields left out or null stay as they are. */
export const UserUpdateRequest = z
  .strictObject({
    display_name: labelText(128).nullish(),
    roles: UserRoles.nullish(),
    password: Password.nullish().describe("Sets a new password and ends the user's sessions"),
    disabled: z.boolean().nullish().describe("A disabled user cannot log in; its sessions end"),
    unlock: z.literal(true).nullish().describe("Clears a lockout after failed logins"),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined && v !== null), {
    message: "must change at least one field",
  });
export type UserUpdateRequest = z.input<typeof UserUpdateRequest>;

export const UserInfo = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string().nullable(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
  totp_enabled: z.boolean(),
  locked_until: Timestamp.nullable(),
  last_login_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type UserInfo = z.infer<typeof UserInfo>;

export const UserList = z.object({ users: z.array(UserInfo) });
export type UserList = z.infer<typeof UserList>;

export const UserIdParams = z.strictObject({
  user_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be a user id"),
});

export const UserDeletedResponse = z.object({ deleted: z.literal(true), id: z.string() });

export const PasswordChangeRequest = z.strictObject({
  current_password: storableText(PASSWORD_MAX_LENGTH, 1),
  new_password: Password,
});
export type PasswordChangeRequest = z.input<typeof PasswordChangeRequest>;
