import { AuthError } from '../base/errors.js';
import type { IssuerKeys } from '../issuer/issuer-keys.js';
import type { PolicyStoreLink } from './policy-store-link.js';

/**
 * What `ready()` waits for: every issuer's keys, then the policy store's first load.
 * @throws {AuthError} `issuer_unavailable` naming each issuer not ready and why, or the store's
 *   `policy_store_unavailable`
 * @internal
 */
export async function whenReady(issuers: ReadonlyMap<string, IssuerKeys>, store: PolicyStoreLink): Promise<void> {
  try {
    await Promise.all([...issuers.values()].map((keys) => keys.ready()));
  } catch (error) {
    const failing = [...issuers.values()].map((keys) => keys.status()).filter((status) => !status.ready);
    const detail = failing.map((status) => `${status.issuer}: ${status.lastError ?? 'no usable keys'}`).join('; ');
    throw new AuthError('issuer_unavailable', `issuer not ready (${detail})`, { cause: error });
  }
  await store.ready();
}
