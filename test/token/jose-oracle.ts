/**
 * The differential oracle: tenantgate 0.1's `verifyToken` (src/token/verify.ts at 0da464e),
 * which verified with jose 6's `jwtVerify` over WebCrypto, kept here as it was but for its
 * name, the key import (0.1's `cryptoKeyFor`, now here) and the claims, which it returns as
 * jose gave them rather than frozen. Its own rules around jose (canonical
 * base64url, the alg allow-list, `kid`, `zip`, the issuer chosen from `iss`, finite and
 * bounded times, `iat` not in the future) stay as they were, so the differential test holds
 * the node:crypto verifier to jose's verdicts and to those rules at once.
 */
import { errors, importJWK, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AuthError } from '../../src/base/errors.js';
import type { VerificationKey } from '../../src/issuer/jwk.js';
import type { VerifiedToken, VerifyRules } from '../../src/token/verify.js';

/** Keys imported for jose, once per key and algorithm (WebCrypto keys are bound to one). */
const imported = new WeakMap<VerificationKey, Map<string, Promise<CryptoKey>>>();

function cryptoKeyFor(key: VerificationKey, alg: string): Promise<CryptoKey> {
  let byAlg = imported.get(key);
  if (byAlg === undefined) imported.set(key, (byAlg = new Map()));
  let importing = byAlg.get(alg);
  if (importing === undefined) {
    importing = importJWK({ ...key.jwk, alg }, alg) as Promise<CryptoKey>;
    byAlg.set(alg, importing);
  }
  return importing;
}

/** RFC 7516's compression member has no place in a JWS; refusing it avoids any inflate. */
const COMPRESSED = 'zip';

const BYTE_ORDER_MARK = 0xfeff;

/**
 * Where unverified segments are decoded: one buffer, grown to the largest segment seen
 * (the header cap bounds it), instead of a Buffer per segment. Decoding is synchronous,
 * so it is never shared by two calls at once.
 */
let scratch = Buffer.allocUnsafeSlow(4096);

/** The largest time a `Date` holds, in milliseconds (ECMAScript TimeClip). */
const MAX_DATE_MS = 8.64e15;

/**
 * Verifies a compact JWS whose shape was already checked: the algorithm against the
 * allow-list, the issuer (chosen from the unverified `iss` before any fetch), the
 * signature against the issuer's keys, then `aud`, `exp`, `nbf`, `iat` and `typ`.
 * `jku`, `x5u`, `jwk` and `x5c` headers are ignored: keys come only from the JWKS.
 *
 * @throws {AuthError}
 */
export async function verifyWithJose(token: string, rules: VerifyRules): Promise<VerifiedToken> {
  if (!canonicalSegments(token)) throw invalid('the token is not in canonical base64url');
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  const header = decodeSegment(token, 0, headerEnd, 'header');
  const { alg, kid } = header;
  if (typeof alg !== 'string' || !rules.algorithms.includes(alg)) {
    throw new AuthError('algorithm_not_allowed', "the token's signing algorithm is not allowed");
  }
  if (kid !== undefined && typeof kid !== 'string') throw invalid('the token header has a non-string kid');
  if (COMPRESSED in header) throw invalid('compressed tokens are not accepted');

  const { iss: issuer } = decodeSegment(token, headerEnd + 1, payloadEnd, 'payload');
  if (typeof issuer !== 'string') throw new AuthError('issuer_mismatch', 'the token has no string iss claim');
  const keys = rules.issuers.get(issuer);
  if (keys === undefined) throw new AuthError('issuer_mismatch', 'the token was not issued by a trusted issuer');

  const found = keys.keysFor(kid, alg);
  const candidates = Array.isArray(found) ? found : await found;
  for (const key of candidates) {
    let payload: JWTPayload;
    try {
      const options = joseOptions(rules, issuer, alg);
      ({ payload } = await jwtVerify(token, await cryptoKeyFor(key, alg), options));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      throw toAuthError(error);
    }
    checkTimes(payload, rules.clockToleranceMs);
    return { issuer, entry: issuer, claims: payload, key, expiresAtMs: (payload.exp as number) * 1000 };
  }
  throw invalid('the token signature is invalid');
}

/**
 * jose's options per rules, algorithm and issuer, made once: a first verification allocates
 * less. An algorithm name holds no space, so `alg issuer` keys cannot alias.
 */
const joseOptionsCache = new WeakMap<VerifyRules, Map<string, JWTVerifyOptions>>();

function joseOptions(rules: VerifyRules, issuer: string, alg: string): JWTVerifyOptions {
  let byKey = joseOptionsCache.get(rules);
  if (byKey === undefined) joseOptionsCache.set(rules, (byKey = new Map()));
  const key = `${alg} ${issuer}`;
  let options = byKey.get(key);
  if (options === undefined) {
    options = Object.freeze({
      algorithms: [alg],
      issuer,
      audience: rules.audience === false ? undefined : rules.audience,
      requiredClaims: ['exp'],
      clockTolerance: rules.clockToleranceMs / 1000,
      typ: rules.typ,
    });
    byKey.set(key, options);
  }
  return options;
}

function invalid(message: string): AuthError {
  return new AuthError('invalid_token', message);
}

/**
 * base64url with non-zero padding bits decodes like its canonical twin, so one signature
 * would have several spellings (several distinct token strings for one signed token).
 */
function canonicalSegments(token: string): boolean {
  let start = 0;
  for (;;) {
    const dot = token.indexOf('.', start);
    const end = dot === -1 ? token.length : dot;
    if (!canonicalSegment(token, start, end)) return false;
    if (dot === -1) return true;
    start = dot + 1;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A segment's last character may only use the bits that carry data (RFC 4648 §3.5). */
function canonicalSegment(token: string, start: number, end: number): boolean {
  const spare = (end - start) % 4;
  if (spare === 0) return true;
  if (spare === 1) return false;
  const last = BASE64URL.indexOf(token.charAt(end - 1));
  return spare === 2 ? last % 16 === 0 : last % 4 === 0;
}

/**
 * The unverified JSON object of one segment, read before jose verifies the token so that
 * a disallowed `alg` or a foreign `iss` is refused without any fetch. Buffer's decoder is
 * native (jose's own decoding costs more); the alphabet and padding bits were checked already.
 */
function decodeSegment(token: string, start: number, end: number, part: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown;
  try {
    const encoded = token.slice(start, end);
    const size = Math.ceil((encoded.length * 3) / 4);
    if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(size);
    const text = scratch.toString('utf8', 0, scratch.write(encoded, 0, 'base64url'));
    // jose's TextDecoder drops a byte-order mark; read the segment as jose will.
    value = JSON.parse(text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`the token ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * jose accepts `1e400` (Infinity) and does not bound `iat`; these close the gap. A time
 * beyond what a `Date` holds (such as `1e300`) is refused too: `expiresAt` would be an
 * invalid Date.
 */
function checkTimes(payload: JWTPayload, clockToleranceMs: number): void {
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    const value = payload[claim];
    if (value !== undefined && !Number.isFinite(value)) throw invalid(`the ${claim} claim is not a finite number`);
    if (value !== undefined && Math.abs(value) * 1000 > MAX_DATE_MS) throw invalid(`the ${claim} claim is out of range`);
  }
  if (payload.iat !== undefined && payload.iat * 1000 > Date.now() + clockToleranceMs) {
    throw new AuthError('token_not_yet_valid', 'the token was issued in the future');
  }
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError('token_expired', 'the token has expired', { cause: error.code });
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError('algorithm_not_allowed', "the token's signing algorithm is not allowed");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const missing = error.reason === 'missing';
    switch (error.claim) {
      case 'iss':
        return new AuthError('issuer_mismatch', 'the token was not issued by the expected issuer');
      case 'aud':
        return new AuthError('audience_mismatch', 'the token is not meant for this audience');
      case 'nbf':
        return error.reason === 'check_failed'
          ? new AuthError('token_not_yet_valid', 'the token is not valid yet')
          : invalid('the nbf claim is not a number');
      case 'typ':
        return invalid('the token type (typ) is not the one required');
      default:
        return invalid(missing ? `the token has no ${error.claim} claim` : `the ${error.claim} claim is invalid`);
    }
  }
  return new AuthError('invalid_token', 'the token is invalid', { cause: error });
}
