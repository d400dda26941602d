import { estimateHeapBytes } from '../base/heap-size.js';
import type { ResolvedPolicy } from '../policy/policy-resolver.js';
import { extractPolicyNames, type PolicyNameMemo } from '../policy/policy-names.js';
import { dpopKeyOf } from '../token/sender-constraint.js';
import type { VerifiedToken } from '../token/verify.js';
import type { IntrospectedToken } from '../token/introspection.js';
import type { Cacheable } from '../token/token-cache.js';

/**
 * Stands for the key of an introspected token: nothing to rotate out, the entry ends with
 * its `cacheTtl`.
 */
const INTROSPECTED: Cacheable['key'] = Object.freeze({ live: true });

/** A verified (or introspected) token with what later requests reuse, kept in the token cache. @internal */
export interface TokenEntry extends Omit<VerifiedToken, 'key'> {
  /** The key that verified it; for an introspected token, one that stays live. */
  key: Cacheable['key'];
  /** For an introspected token: when the answer stops being reused. */
  cacheUntilMs?: number | undefined;
  policyNames: string[];
  policy: ResolvedPolicy | undefined;
  /** The DPoP key the token is bound to (`cnf.jkt`); `null` when `cnf` is malformed. */
  dpopKey: string | null | undefined;
  /** Estimated heap of the claims and names, for `cache.maxBytes`. */
  bytes: number;
  cachedToken: string;
  cachedUntilMs: number;
}

/**
 * What a verified token's later requests reuse, worked out once: its policy names (GEM's
 * claim and regex), the DPoP key it is bound to, and its estimated size.
 * @throws {AuthError} `policy_not_found` when the claim gives no policy name
 * @internal
 */
export function tokenEntryOf(verified: VerifiedToken | IntrospectedToken, policyClaim: string, names: PolicyNameMemo): TokenEntry {
  const policyNames = extractPolicyNames(verified.claims, policyClaim, names);
  return {
    issuer: verified.issuer,
    entry: 'entry' in verified ? verified.entry : verified.issuer,
    claims: verified.claims,
    key: 'key' in verified ? verified.key : INTROSPECTED,
    expiresAtMs: verified.expiresAtMs,
    cacheUntilMs: 'cacheUntilMs' in verified ? verified.cacheUntilMs : undefined,
    policyNames: Object.freeze(policyNames) as string[],
    policy: undefined,
    dpopKey: dpopKeyOf(verified.claims),
    bytes: estimateHeapBytes(verified.claims) + estimateHeapBytes(policyNames),
    // Written by the token cache when it keeps the entry.
    cachedToken: '',
    cachedUntilMs: 0,
  };
}
