import { AuthError } from '../base/errors.js';
import type { ResolvedPolicy } from './policy-resolver.js';

/**
 * Every tenant named by the credentials must be covered by the policy.
 *
 * @throws {AuthError} `tenant_forbidden` (403)
 * @internal
 */
export function checkTenants(policy: ResolvedPolicy, tenants: readonly string[]): void {
  for (const tenant of tenants) {
    if (!policy.covers(tenant)) {
      throw new AuthError('tenant_forbidden', 'the access policy does not cover the requested tenant');
    }
  }
}

/**
 * The policy must grant `scope`.
 *
 * @throws {AuthError} `insufficient_scope` (403), carrying the scope for the challenge
 * @internal
 */
export function checkScope(policy: ResolvedPolicy, scope: string): void {
  if (!policy.view.scopes.includes(scope)) {
    throw new AuthError(
      'insufficient_scope',
      policy.view.virtual
        ? `the token names several access policies, which together grant read scopes only, not ${scope}`
        : `the access policy does not grant ${scope}`,
      { scope },
    );
  }
}
