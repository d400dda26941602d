import { deepFreeze } from '../base/deep-freeze.js';
import { AuthError } from '../base/errors.js';
import { jwsAlgorithm, type JwsAlgorithm } from '../issuer/jws-algorithms.js';
import type { VerificationKey } from '../issuer/jwk.js';
import type { IssuerKeys } from '../issuer/issuer-keys.js';
import { checkTemplatedIssuer, matchesTemplate, type IssuerTemplate } from '../issuer/issuer-template.js';
import { checkClaims } from './claims-check.js';
import { checkCriticalHeaders } from './critical-headers.js';
import { canonicalSegments, decodeHeader, decodeSegment } from './jws-segments.js';
import type { JWTPayload } from './jwt-types.js';
import { endCheck, leftPool, ON_POOL, startCheck } from './burst.js';
import { signatureValid } from './signature.js';
import { signatureValidOnPool } from './signature-pool.js';
import { signatureOf, signatureScratch, signingInputOf, signingScratch } from './signed-bytes.js';

/** A token whose signature and claims have been checked. @internal */
export interface VerifiedToken {
  issuer: string;
  /** The configured issuer it matched: `issuer` itself, or the template it filled. */
  entry: string;
  /** Verified claims, deeply frozen. */
  claims: Readonly<JWTPayload>;
  /** The key that verified the signature; the token stops being accepted once it is gone. */
  key: VerificationKey;
  /** `exp` in milliseconds. */
  expiresAtMs: number;
}

/** What verification checks. @internal */
export interface VerifyRules {
  /** Issuers trusted, and their keys. */
  issuers: ReadonlyMap<string, IssuerKeys>;
  audience: string[] | false;
  audienceClaim?: string | undefined;
  algorithms: string[];
  clockToleranceMs: number;
  typ: string | undefined;
  /**
   * Rules of particular issuers, where they differ from the ones above (`issuers` option): the
   * unverified `iss` picks them, before any key is looked up. `algorithms` above is then every
   * algorithm some issuer accepts.
   */
  byIssuer?: ReadonlyMap<string, IssuerRules> | undefined;
  /** Templated issuers (`{tenantid}`), tried when `iss` names no issuer exactly; keyed in `issuers` by template. */
  templates?: readonly IssuerTemplate[] | undefined;
  /**
   * Where signatures are checked: `sync` on the calling thread, `pool` on libuv's thread pool
   * (node:crypto's callback form), `auto` (the default) on the calling thread until the turn's
   * budget is spent (`burst.ts`). The tests force each path.
   */
  signatures?: 'sync' | 'pool' | 'auto';
}

/** What one issuer's tokens are checked against, when it has settings of its own. @internal */
export interface IssuerRules {
  audience: string[] | false;
  audienceClaim: string;
  algorithms: string[];
  clockToleranceMs: number;
  typ: string | undefined;
  /** For a templated issuer: the template the token's own `tid` must fill to its `iss`. */
  template?: IssuerTemplate | undefined;
}

/** RFC 7516's compression member has no place in a JWS; refusing it avoids any inflate. */
const COMPRESSED = 'zip';

/**
 * Verifies a compact JWS whose shape was already checked: the algorithm against the
 * allow-list, the header (`kid`, `zip`, `crit`), the issuer (chosen from the unverified `iss`
 * before any fetch), the signature against each of the issuer's keys that fits, then `typ`,
 * `iss`, `aud`, `exp`, `nbf` and `iat`. `jku`, `x5u`, `jwk` and `x5c` headers are ignored:
 * keys come only from the JWKS.
 *
 * Signatures are checked with `node:crypto` on the calling thread, so the answer comes back
 * at once, not in a promise, whenever the issuer's keys are at hand; a promise when keys must
 * be fetched first, or when a burst of first-seen tokens sends the check to the thread pool.
 *
 * @throws {AuthError} (or a promise rejected with one)
 * @internal
 */
export function verifyToken(token: string, rules: VerifyRules): VerifiedToken | Promise<VerifiedToken> {
  if (!canonicalSegments(token)) throw invalid('the token is not in canonical base64url');
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  const { object: header, utf8: headerUtf8 } = decodeHeader(token, headerEnd);
  const { alg, kid } = header;
  const algorithm = typeof alg === 'string' && rules.algorithms.includes(alg) ? jwsAlgorithm(alg) : undefined;
  if (algorithm === undefined) {
    throw new AuthError('algorithm_not_allowed', "the token's signing algorithm is not allowed");
  }
  if (kid !== undefined && typeof kid !== 'string') throw invalid('the token header has a non-string kid');
  if (COMPRESSED in header) throw invalid('compressed tokens are not accepted');

  const { object: claims, utf8: payloadUtf8 } = decodeSegment(token, headerEnd + 1, payloadEnd, 'payload');
  const { iss: issuer } = claims;
  if (typeof issuer !== 'string') throw new AuthError('issuer_mismatch', 'the token has no string iss claim');
  // Picked by string before any fetch: an unknown `iss` costs nothing.
  const entry = rules.issuers.has(issuer) ? issuer : rules.templates?.find((template) => matchesTemplate(template, issuer))?.template;
  const keys = entry === undefined ? undefined : rules.issuers.get(entry);
  if (entry === undefined || keys === undefined) throw new AuthError('issuer_mismatch', 'the token was not issued by a trusted issuer');
  const own = rules.byIssuer?.get(entry);
  if (own !== undefined && !own.algorithms.includes(alg as string)) {
    throw new AuthError('algorithm_not_allowed', "the token's signing algorithm is not allowed for its issuer");
  }

  // The configured string rather than the token's equal copy: the cached claims then share it.
  const sharedIssuer = keys.issuer === issuer ? keys.issuer : issuer;
  const signed: Signed = { token, header, claims, payloadEnd, issuer: sharedIssuer, entry, algorithm, utf8: headerUtf8 && payloadUtf8 };
  const found = keys.keysFor(kid, alg as string);
  return Array.isArray(found) ? verifyWith(found, signed, rules) : found.then((candidates) => verifyWith(candidates, signed, rules));
}

/** A token read and checked up to its signature. */
interface Signed {
  token: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  payloadEnd: number;
  issuer: string;
  entry: string;
  algorithm: JwsAlgorithm;
  /** Whether header and payload are both UTF-8. */
  utf8: boolean;
}

/**
 * The first key whose signature check passes decides; the claims are then checked once.
 * `crit` and the UTF-8 rule are judged here, once keys were found, where jose judged them in
 * 0.1, so that every refusal keeps its code (a missing key is still `key_not_found`).
 */
function verifyWith(candidates: VerificationKey[], signed: Signed, rules: VerifyRules): VerifiedToken | Promise<VerifiedToken> {
  const { token, payloadEnd, algorithm } = signed;
  checkCriticalHeaders(signed.header);
  if (!signed.utf8) throw invalid('the token header or payload is not valid UTF-8');
  const mode = rules.signatures ?? 'auto';
  if (mode === 'pool') return verifyOnPool(candidates, signed, rules, undefined);
  const startedAt = mode === 'auto' ? startCheck() : undefined;
  if (startedAt === ON_POOL) return verifyOnPool(candidates, signed, rules, leftPool);
  // Synchronous from here to the verdict: the scratch buffers cannot be shared by two calls.
  const signingInput = signingInputOf(token, payloadEnd, signingScratch);
  const signature = signatureOf(token, payloadEnd, signatureScratch);
  let key: VerificationKey | undefined;
  for (const candidate of candidates) {
    if (signatureValid(algorithm, candidate, signingInput, signature)) {
      key = candidate;
      break;
    }
  }
  if (startedAt !== undefined) endCheck(startedAt);
  if (key === undefined) throw invalid('the token signature is invalid');
  return accept(key, signed, rules);
}

/**
 * {@link verifyWith} with each signature checked on the thread pool, one key after another;
 * `leave` (when given) is called once the pool is done with the token.
 */
function verifyOnPool(
  candidates: VerificationKey[],
  signed: Signed,
  rules: VerifyRules,
  leave: (() => void) | undefined,
): Promise<VerifiedToken> {
  // Buffers of its own: the pool reads them after this call has returned.
  const signingInput = signingInputOf(signed.token, signed.payloadEnd, undefined);
  const signature = signatureOf(signed.token, signed.payloadEnd, undefined);
  return new Promise((resolve, reject) => {
    const tryFrom = (index: number): void => {
      const key = candidates[index];
      if (key === undefined) {
        leave?.();
        reject(invalid('the token signature is invalid'));
        return;
      }
      signatureValidOnPool(signed.algorithm, key, signingInput, signature, (valid) => {
        if (!valid) {
          tryFrom(index + 1);
          return;
        }
        leave?.();
        try {
          resolve(accept(key, signed, rules));
        } catch (error) {
          reject(error);
        }
      });
    };
    tryFrom(0);
  });
}

/** A token whose signature `key` verified: its claims are checked, then frozen. */
function accept(key: VerificationKey, signed: Signed, rules: VerifyRules): VerifiedToken {
  const own: Pick<VerifyRules, 'audience' | 'audienceClaim' | 'clockToleranceMs' | 'typ'> & Pick<IssuerRules, 'template'> =
    rules.byIssuer?.get(signed.entry) ?? rules;
  if (own.template !== undefined) checkTemplatedIssuer(own.template, signed.issuer, signed.claims);
  checkClaims(signed.header, signed.claims, {
    issuer: signed.issuer,
    audience: own.audience,
    audienceClaim: own.audienceClaim,
    clockToleranceMs: own.clockToleranceMs,
    typ: own.typ,
  });
  shareConfiguredStrings(signed.claims, signed.issuer, own.audienceClaim ?? 'aud', own.audience);
  const claims = deepFreeze(signed.claims) as Readonly<JWTPayload>;
  return { issuer: signed.issuer, entry: signed.entry, claims, key, expiresAtMs: (claims.exp as number) * 1000 };
}

/**
 * Puts the configured issuer and audience strings in place of the token's equal copies, before
 * the claims are frozen and cached: every cached token of an issuer then shares them, two
 * strings fewer per entry. Only the fixed `iss` and `aud` names are written (a configured
 * `audienceClaim` could be a name such as `__proto__`, which an assignment would not treat as data).
 */
function shareConfiguredStrings(claims: Record<string, unknown>, issuer: string, audienceClaim: string, audience: string[] | false): void {
  if (claims.iss === issuer) claims.iss = issuer;
  if (audienceClaim !== 'aud' || audience === false || typeof claims.aud !== 'string') return;
  const index = audience.indexOf(claims.aud);
  if (index !== -1) claims.aud = audience[index];
}

function invalid(message: string): AuthError {
  return new AuthError('invalid_token', message);
}
