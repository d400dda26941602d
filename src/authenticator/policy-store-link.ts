import { AuthError } from '../base/errors.js';
import type { AuthEvent } from '../base/events.js';
import { describeThrown } from '../base/operator-text.js';
import type { AccessPolicyStore } from '../policy/access-policy.js';
import { policyStoreHookOf } from '../policy/policy-store-hook.js';

/** What an authenticator does with a store's news. @internal */
export interface PolicyStoreLinkOptions {
  emit: (event: AuthEvent) => void;
  /** Drops every cached policy, and those held by cached tokens. */
  invalidate: () => void;
  /** Aborted by the authenticator's `close()`: the link then stops listening. */
  signal: AbortSignal;
}

/** The authenticator's side of the link. @internal */
export interface PolicyStoreLink {
  /** Resolves once the store has policies; nothing to wait for with a record or a plain function. */
  ready(): Promise<void>;
}

/**
 * Connects a store that loads policies itself (`policiesFromFile`) to an authenticator: its
 * events go out through `onEvent`, and a reload drops the cached policies before the event
 * is told, so that whoever waits on `policy_store_reloaded` sees the new policies at once.
 * @internal
 */
export function linkPolicyStore(store: AccessPolicyStore, options: PolicyStoreLinkOptions): PolicyStoreLink {
  const hook = policyStoreHookOf(store);
  if (hook === undefined || options.signal.aborted) return { ready: async () => {} };
  const unsubscribe = hook.subscribe((event) => {
    if (event.type === 'policy_store_reloaded') options.invalidate();
    options.emit(event);
  });
  options.signal.addEventListener('abort', unsubscribe, { once: true });
  return {
    async ready() {
      try {
        await hook.ready();
      } catch (error) {
        throw new AuthError('policy_store_unavailable', `access-policy store not ready (${describeThrown(error)})`, {
          cause: error,
        });
      }
    },
  };
}
