import { readFileSync, type PathOrFileDescriptor } from 'node:fs';
import { AuthError } from '../base/errors.js';
import { certificateThumbprint, checkCertificateBinding } from '../token/certificate-binding.js';
import { checkDpopProof, DPOP_ALGORITHMS } from '../token/dpop-proof.js';
import { dpopKeyOf } from '../token/sender-constraint.js';
import type { Check } from './inspect-check.js';

/** What `inspect` was given about the sender: a DPoP proof with its request, a client certificate. @internal */
export interface SenderInput {
  dpop?: { proof: string; method: string; url: string } | undefined;
  /** The client certificate (PEM or DER) as read from `--cert FILE`. */
  certificate?: Buffer | undefined;
}

/** Reads `--cert FILE`: PEM or DER, as the service would receive it. @internal */
export function readCertificate(path: PathOrFileDescriptor): Buffer {
  return readFileSync(path);
}

/**
 * The checks of a sender-constrained token, explained: the DPoP proof (each rule of RFC 9449
 * §4.3, named when one fails) and its key against the token's `cnf.jkt`; the client
 * certificate against `cnf["x5t#S256"]`. A token bound to a sender that was not given is
 * explained too, since the service would refuse it.
 * @internal
 */
export function senderChecks(
  token: string,
  claims: Readonly<Record<string, unknown>>,
  sender: SenderInput,
  clockToleranceMs: number,
  add: (check: Check) => void,
): void {
  const jkt = dpopKeyOf(claims);
  if (sender.dpop !== undefined) {
    try {
      const { proof, method, url } = sender.dpop;
      const checked = checkDpopProof(proof, { method, url, accessToken: token, nowMs: Date.now() }, {
        algorithms: DPOP_ALGORITHMS,
        maxAgeMs: 60_000,
        clockToleranceMs,
      });
      add({ name: 'dpop proof', ok: true, detail: `valid for ${method} ${url} (key thumbprint ${checked.jkt})` });
      add({
        name: 'dpop bind',
        ok: jkt === checked.jkt,
        detail: jkt === undefined || jkt === null ? 'the token has no cnf.jkt: it is not bound to a DPoP key' : `token cnf.jkt ${jkt}`,
        hint: 'the proof must be signed with the key the token was issued for',
      });
    } catch (error) {
      add({ name: 'dpop proof', ok: false, detail: messageOf(error), hint: 'a proof is valid for one request: its htm, htu, ath and a fresh iat and jti' });
    }
  } else if (jkt !== undefined) {
    add({ name: 'dpop bind', ok: false, detail: 'the token is bound to a DPoP key (cnf.jkt) but no proof was given', hint: 'pass --dpop PROOF --method M --url U' });
  }
  const bound = typeof claims.cnf === 'object' && claims.cnf !== null && Object.hasOwn(claims.cnf, 'x5t#S256');
  if (sender.certificate === undefined && !bound) return;
  try {
    const thumbprint = sender.certificate === undefined ? undefined : certificateThumbprint(sender.certificate);
    checkCertificateBinding(claims, thumbprint, 'allowed');
    add({ name: 'mtls', ok: true, detail: bound ? `certificate thumbprint ${thumbprint ?? ''} matches cnf["x5t#S256"]` : 'the token is not bound to a certificate' });
  } catch (error) {
    add({ name: 'mtls', ok: false, detail: messageOf(error), hint: sender.certificate === undefined ? 'pass --cert FILE, the client certificate' : undefined });
  }
}

function messageOf(error: unknown): string {
  return error instanceof AuthError || error instanceof Error ? error.message : String(error);
}
