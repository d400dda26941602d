import { z } from 'zod';
import type { Duration } from '../base/duration.js';
import type { ReplayStore } from '../token/replay-store.js';
import { algorithmSchema, type Algorithm } from './algorithm-option.js';
import { duration } from './duration-option.js';

/** Options of DPoP-bound tokens (RFC 9449). */
export interface DpopOptions {
  /**
   * `'off'` (the default): the `DPoP` scheme is refused and `cnf.jkt` is not looked at.
   * `'allowed'`: `DPoP` and `Bearer` are both accepted, but a token bound to a DPoP key
   * (`cnf.jkt`) only with its proof. `'required'`: only DPoP-bound tokens with their proof.
   */
  mode?: 'off' | 'allowed' | 'required';
  /** Algorithms accepted for proofs, asymmetric only. Default: every algorithm tenantgate verifies. */
  algorithms?: Algorithm[];
  /** How long after its `iat` a proof is accepted (plus `clockTolerance`); at most 5 minutes. Default `'60s'`. */
  proofMaxAge?: Duration;
  /**
   * Where the `jti` of each accepted proof is recorded for its window, so that a proof is
   * accepted once. Default: in memory, bounded; several replicas share one (a Redis store:
   * examples/dpop-redis).
   */
  replayStore?: ReplayStore;
}

/** Options of tokens bound to the client's TLS certificate (RFC 8705). */
export interface MtlsOptions {
  /**
   * `'off'` (the default): `cnf["x5t#S256"]` is not looked at. `'allowed'`: a token bound to a
   * certificate is accepted only with that certificate. `'required'`: only bound tokens are.
   */
  mode?: 'off' | 'allowed' | 'required';
}

/** DPoP options after validation. @internal */
export interface ResolvedDpop {
  mode: 'off' | 'allowed' | 'required';
  algorithms: Algorithm[];
  proofMaxAgeMs: number;
  /** `undefined`: the authenticator makes its own in-memory store. */
  replayStore: ReplayStore | undefined;
}

const MAX_PROOF_AGE_MS = 5 * 60_000;
const mode = z.enum(['off', 'allowed', 'required']).default('off');

/**
 * The proof algorithms accepted by default: every one tenantgate verifies, `Ed25519` under both
 * its names (RFC 9864's fully specified `Ed25519` and the older `EdDSA`), since clients and
 * providers (oidc-provider advertises both) use either.
 */
const DEFAULT_PROOF_ALGORITHMS: Algorithm[] = [
  'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519',
];

const replayStore = z.custom<ReplayStore>(
  (value) => typeof value === 'object' && value !== null && typeof (value as { seen?: unknown }).seen === 'function',
  { message: 'must be an object with a seen(jti, untilMs) method' },
);

/** `dpop`. @internal */
export const dpopSchema = z
  .strictObject({
    mode,
    algorithms: z.array(algorithmSchema).min(1).default(DEFAULT_PROOF_ALGORITHMS),
    proofMaxAge: duration('60s', { positive: true, maxMs: MAX_PROOF_AGE_MS }),
    replayStore: replayStore.optional(),
  })
  .prefault({})
  .transform(
    (options): ResolvedDpop => ({
      mode: options.mode,
      algorithms: [...new Set(options.algorithms as Algorithm[])],
      proofMaxAgeMs: options.proofMaxAge,
      replayStore: options.replayStore,
    }),
  );

/** `mtls`. @internal */
export const mtlsSchema = z.strictObject({ mode }).prefault({});
