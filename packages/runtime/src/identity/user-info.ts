import type { UserInfo } from "@symbiont/protocol";
import type { UserRow } from "./user-repository.js";

export function userInfoOf(row: UserRow, now = Date.now()): UserInfo {
  const lockedUntil = row.locked_until && Date.parse(row.locked_until) > now ? row.locked_until : null;
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    roles: JSON.parse(row.roles) as string[],
    disabled: Number(row.disabled) === 1,
    totp_enabled: row.totp_secret !== null,
    locked_until: lockedUntil,
    last_login_at: row.last_login_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
