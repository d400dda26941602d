import { estimateHeapBytes } from '../base/heap-size.js';
import type { ResolvedPolicy } from '../policy/policy-resolver.js';
import { extractPolicyNames, type PolicyNameMemo } from '../policy/policy-names.js';
import { dpopKeyOf } from '../token/sender-constraint.js';
import type { VerifiedToken } from '../token/verify.js';

/** A verified token with what later requests reuse, kept in the token cache. @internal */
export interface TokenEntry extends VerifiedToken {
  policyNames: string[];
  policy: ResolvedPolicy | undefined;
  /** The DPoP key the token is bound to (`cnf.jkt`); `null` when `cnf` is malformed. */
  dpopKey: string | null | undefined;
  /** Estimated heap of the claims and names, for `cache.maxBytes`. */
  bytes: number;
}

/**
 * What a verified token's later requests reuse, worked out once: its policy names (GEM's
 * claim and regex), the DPoP key it is bound to, and its estimated size.
 * @throws {AuthError} `policy_not_found` when the claim gives no policy name
 * @internal
 */
export function tokenEntryOf(verified: VerifiedToken, policyClaim: string, names: PolicyNameMemo): TokenEntry {
  const policyNames = extractPolicyNames(verified.claims, policyClaim, names);
  return {
    issuer: verified.issuer,
    entry: verified.entry,
    claims: verified.claims,
    key: verified.key,
    expiresAtMs: verified.expiresAtMs,
    policyNames: Object.freeze(policyNames) as string[],
    policy: undefined,
    dpopKey: dpopKeyOf(verified.claims),
    bytes: estimateHeapBytes(verified.claims) + estimateHeapBytes(policyNames),
  };
}
