import {
  BUILT_IN_ROLE_GRANTS,
  BuiltInRole,
  CoarsePermission,
  type Grant,
  grantsAllow,
  Permission,
} from "@symbiont/protocol";

/** Whether a principal holding `held` may hand out `wanted`: nobody grants more than they have. */
export function mayGrant(held: ReadonlySet<Grant>, wanted: Grant): boolean {
  if (held.has("admin")) return true;
  if (wanted === "admin") return false;
  if (CoarsePermission.safeParse(wanted).success) return held.has(wanted);
  return grantsAllow(held, Permission.parse(wanted));
}

/** Grants stored as a JSON array; anything not (or no longer) a known grant is dropped. */
export function parseGrants(json: string): Set<Grant> {
  const grants = new Set<Grant>();
  for (const value of JSON.parse(json) as unknown[]) {
    const coarse = CoarsePermission.safeParse(value);
    if (coarse.success) grants.add(coarse.data);
    const fine = Permission.safeParse(value);
    if (fine.success) grants.add(fine.data);
  }
  return grants;
}

/** The grants a set of roles confers, given the tenant's custom roles; unknown roles confer nothing. */
export function grantsOfRoles(
  roles: readonly string[],
  customRoles: ReadonlyMap<string, ReadonlySet<Grant>>,
): Set<Grant> {
  const grants = new Set<Grant>();
  for (const role of roles) {
    const builtIn = BuiltInRole.safeParse(role);
    const conferred = builtIn.success ? BUILT_IN_ROLE_GRANTS[builtIn.data] : customRoles.get(role);
    for (const grant of conferred ?? []) grants.add(grant);
  }
  return grants;
}
