/**
 * Every permission Verdict's services check. A policy may grant only these, `*`, or a prefix
 * wildcard such as `model:*`; anything else is a typo that would silently grant nothing, so the
 * policy parser rejects it. A service that checks a new permission adds it here.
 */
export const PERMISSIONS = [
  'model:read',
  'model:publish',
  'model:deploy',
  'model:deploy:production',
  'model:admin',
  'experiment:read',
  'experiment:write',
  'experiment:ingest',
  'audit:read',
  'audit:append',
  'inference:invoke',
  'repository:admin',
] as const;

/** A permission that services check, e.g. `model:deploy`. */
export type Permission = (typeof PERMISSIONS)[number];

/** What a role may list: a permission, `*` (all), or a prefix wildcard like `model:*`. */
export const PERMISSION_GRANT_SYNTAX = /^(\*|[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)*(:\*)?)$/;

/**
 * True when `grant` (from a role) covers `permission`: equal, `*`, or a `prefix:*` whose prefix
 * starts the permission. `model:deploy` does not cover `model:deploy:production`: a narrower
 * permission exists precisely so that it is granted on its own.
 */
export function grantCovers(grant: string, permission: string): boolean {
  if (grant === '*') {
    return true;
  }
  if (grant.endsWith(':*')) {
    return permission.startsWith(grant.slice(0, -1));
  }
  return grant === permission;
}

/** True when a grant is well formed and covers at least one known permission. */
export function isKnownGrant(grant: string): boolean {
  return (
    PERMISSION_GRANT_SYNTAX.test(grant) && PERMISSIONS.some((known) => grantCovers(grant, known))
  );
}
