/** Longest tenant ID Mimir accepts. */
export const MAX_TENANT_ID_LENGTH = 150;

const TENANT_ID = /^[a-zA-Z0-9!\-_.*'()]+$/;

/**
 * Why `id` is not a valid tenant ID under Mimir's rules, or `undefined` when it is:
 * 1-150 characters from `a-z A-Z 0-9 ! - _ . * ' ( )`, and not `.`, `..` or
 * `__mimir_cluster`.
 */
export function tenantIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_TENANT_ID_LENGTH) return `is longer than ${MAX_TENANT_ID_LENGTH} characters`;
  if (!TENANT_ID.test(id)) return "may only contain letters, digits and ! - _ . * ' ( )";
  if (id === '.' || id === '..') return `may not be "${id}"`;
  if (id === '__mimir_cluster') return 'is reserved';
  return undefined;
}
