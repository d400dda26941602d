import type { PolicyStoreEvent } from '../base/events.js';

/**
 * What a store that loads its policies itself (a file) tells an authenticator: when its
 * first load is done, and each reload or failed reload.
 * @internal
 */
export interface PolicyStoreHook {
  /** Resolves once policies are loaded; rejects with the reason while none could be. */
  ready(): Promise<void>;
  /** Adds a listener for the store's events; returns a function that removes it. */
  subscribe(listener: (event: PolicyStoreEvent) => void): () => void;
}

/**
 * The key the hook sits under on a store function. A registered symbol, so that an
 * authenticator from one build (ESM, CommonJS) finds the hook of a store from the other.
 */
const HOOK = Symbol.for('tenantgate.policyStoreHook');

/** Attaches `hook` to `store`, not enumerable, so the store stays a plain function to its users. @internal */
export function attachPolicyStoreHook(store: object, hook: PolicyStoreHook): void {
  Object.defineProperty(store, HOOK, { value: hook, enumerable: false });
}

/** The hook of a store that has one. @internal */
export function policyStoreHookOf(store: unknown): PolicyStoreHook | undefined {
  if (typeof store !== 'function') return undefined;
  const hook = (store as { [HOOK]?: unknown })[HOOK];
  return typeof hook === 'object' && hook !== null ? (hook as PolicyStoreHook) : undefined;
}
