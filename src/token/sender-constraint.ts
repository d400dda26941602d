import { armDeadline, raceDeadline } from '../base/deadline.js';
import { AuthError } from '../base/errors.js';
import type { Credentials, CredentialsInput } from '../credentials/credentials.js';
import { certificateThumbprint, checkCertificateBinding } from './certificate-binding.js';
import { checkDpopProof } from './dpop-proof.js';
import type { ReplayStore } from './replay-store.js';

/** How tokens bound to a sender are checked (RFC 9449, RFC 8705). @internal */
export interface SenderRules {
  dpop: {
    mode: 'off' | 'allowed' | 'required';
    algorithms: readonly string[];
    proofMaxAgeMs: number;
    clockToleranceMs: number;
    replayStore: ReplayStore;
  };
  mtls: { mode: 'off' | 'allowed' | 'required' };
  /** How long a replay store that answers with a promise may take. */
  timeoutMs: number;
  /** The authenticator's lifetime: `close()` ends every wait. */
  signal: AbortSignal;
}

/**
 * The DPoP key a verified token is bound to: its `cnf.jkt` (RFC 9449 §6.1), `undefined` when
 * it has none, `null` when `cnf` or `jkt` is there but not what the RFC says (such a token is
 * refused wherever DPoP is on). Read once per token, when it is verified.
 * @internal
 */
export function dpopKeyOf(claims: Readonly<Record<string, unknown>>): string | null | undefined {
  if (!Object.hasOwn(claims, 'cnf')) return undefined;
  const { cnf } = claims;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return null;
  if (!Object.hasOwn(cnf, 'jkt')) return undefined;
  const { jkt } = cnf as { jkt?: unknown };
  return typeof jkt === 'string' && jkt !== '' ? jkt : null;
}

/**
 * Checks that the request comes from the sender the token is bound to: with the `DPoP`
 * scheme, the proof (every check of RFC 9449 §4.3), its key against the token's `cnf.jkt`, and
 * its `jti` against the replay store, last, so that only proofs otherwise good are recorded;
 * a token bound to a DPoP key sent as `Bearer` or Basic is refused (a downgrade); with mTLS,
 * the certificate against `cnf["x5t#S256"]`. A promise only when the replay store answers
 * with one.
 *
 * @throws {AuthError} `invalid_dpop_proof`, `invalid_token` or `invalid_request`
 * @internal
 */
export function checkSender(
  credentials: Credentials,
  token: { claims: Readonly<Record<string, unknown>>; dpopKey: string | null | undefined },
  input: CredentialsInput,
  rules: SenderRules,
): void | Promise<void> {
  const { mtls, dpop } = rules;
  if (mtls.mode !== 'off') {
    const certificate = input.clientCertificate;
    checkCertificateBinding(token.claims, certificate === undefined ? undefined : certificateThumbprint(certificate), mtls.mode);
  }
  if (dpop.mode === 'off') return undefined;
  if (token.dpopKey === null) throw new AuthError('invalid_token', 'the token has a malformed cnf claim');
  if (credentials.scheme !== 'dpop') {
    if (token.dpopKey !== undefined) {
      throw new AuthError('invalid_token', 'the token is bound to a DPoP key: send it with Authorization: DPoP and a DPoP proof');
    }
    return undefined;
  }
  if (token.dpopKey === undefined) throw new AuthError('invalid_token', 'the token is not bound to a DPoP key (no cnf.jkt)');
  const { method, url } = input;
  if (typeof method !== 'string' || typeof url !== 'string' || credentials.proof === undefined) {
    throw new AuthError('invalid_dpop_proof', 'the request method and URL are needed to check the DPoP proof');
  }
  const proof = checkDpopProof(
    credentials.proof,
    { method, url, accessToken: credentials.token, nowMs: Date.now() },
    { algorithms: dpop.algorithms, maxAgeMs: dpop.proofMaxAgeMs, clockToleranceMs: dpop.clockToleranceMs },
  );
  if (proof.jkt !== token.dpopKey) throw new AuthError('invalid_dpop_proof', 'the DPoP proof is signed by another key than the one the token is bound to');
  let seen: boolean | Promise<boolean>;
  try {
    seen = dpop.replayStore.seen(proof.jti, proof.rememberUntilMs);
  } catch (error) {
    throw storeUnavailable(error);
  }
  if (!(seen instanceof Promise)) return refuseReplay(seen);
  const deadline = armDeadline(rules.timeoutMs, rules.signal);
  return raceDeadline(seen, deadline).then(
    (answer) => {
      deadline.clear();
      refuseReplay(answer);
    },
    (error: unknown) => {
      deadline.clear();
      throw storeUnavailable(error);
    },
  );
}

/** A store that answers anything but `false` has seen the proof: a doubt refuses. */
function refuseReplay(seen: unknown): void {
  if (seen !== false) throw new AuthError('invalid_dpop_proof', 'the DPoP proof was used before (its jti was seen)');
}

function storeUnavailable(error: unknown): AuthError {
  return new AuthError('replay_store_unavailable', 'the DPoP replay store did not answer', { cause: error });
}
