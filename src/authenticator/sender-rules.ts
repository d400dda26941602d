import type { ResolvedOptions } from '../options/options.js';
import { MemoryReplayStore } from '../token/replay-store.js';
import type { SenderRules } from '../token/sender-constraint.js';

/**
 * The rules of sender-constrained tokens for one authenticator, or `undefined` when DPoP and
 * mTLS are both off: the cached path then has nothing more to check. Without a replay store
 * of the user's, the authenticator keeps its own, in memory and bounded.
 * @internal
 */
export function senderRulesOf(resolved: ResolvedOptions, signal: AbortSignal): SenderRules | undefined {
  const { dpop, mtls } = resolved;
  if (dpop.mode === 'off' && mtls.mode === 'off') return undefined;
  return {
    dpop: {
      mode: dpop.mode,
      algorithms: dpop.algorithms,
      proofMaxAgeMs: dpop.proofMaxAgeMs,
      clockToleranceMs: resolved.clockToleranceMs,
      replayStore: dpop.replayStore ?? new MemoryReplayStore(),
    },
    mtls,
    timeoutMs: resolved.jwks.timeoutMs,
    signal,
  };
}
