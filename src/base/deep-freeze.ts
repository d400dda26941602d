/**
 * Freezes `value` and every object inside it (functions are left as they are), so that
 * what the cache shares between requests cannot be changed by one of them.
 * @internal
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // for-in needs no array of the members, unlike Object.values.
    for (const name in value) if (Object.hasOwn(value, name)) deepFreeze(value[name]);
  }
  return value;
}
