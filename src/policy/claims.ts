const NEVER_FOLLOWED = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Finds a claim: an own top-level claim with exactly that name wins (so `"a.b"` may be
 * one claim); otherwise a dotted path is followed through plain objects, own properties
 * only. `__proto__`, `constructor` and `prototype` are never followed.
 */
export function lookupClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (NEVER_FOLLOWED.has(name)) return undefined;
  if (Object.hasOwn(claims, name)) return claims[name];
  if (!name.includes('.')) return undefined;
  let current: unknown = claims;
  for (const segment of name.split('.')) {
    if (NEVER_FOLLOWED.has(segment) || !isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/**
 * The strings a claim holds: a string alone, or the string entries of an array (other
 * entries are ignored, never stringified). `undefined` for any other value.
 */
export function claimStrings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  return value.filter((entry): entry is string => typeof entry === 'string');
}
