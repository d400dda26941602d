import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { canonicalBase64url } from '../base/base64url.js';
import { BoundedMemo } from '../base/bounded-memo.js';
import { AuthError } from '../base/errors.js';
import { parseJsonObject } from '../base/json-object.js';
import { keyFits, toVerificationKey, type VerificationKey } from '../issuer/jwk.js';
import { JWS_ALGORITHMS, jwsAlgorithm, type JwsAlgorithm } from '../issuer/jws-algorithms.js';
import { jwkThumbprint } from './jwk-thumbprint.js';
import { signatureValid } from './signature.js';

/** What a DPoP proof is held to. @internal */
export interface DpopProofRules {
  /** The `alg` values accepted; only the asymmetric ones of the algorithm table can pass. */
  algorithms: readonly string[];
  /** How old a proof may be, by its `iat` (the `proofMaxAge` option). */
  maxAgeMs: number;
  /** Allowed clock skew, either way, on top of `maxAgeMs`. */
  clockToleranceMs: number;
}

/** The request a DPoP proof came with. @internal */
export interface DpopRequest {
  /** The HTTP method, as sent (`htm` must equal it exactly). */
  method: string;
  /** The absolute URL the request was sent to. */
  url: string;
  /** The access token the proof must be bound to through `ath`. */
  accessToken: string;
  nowMs: number;
}

/** A DPoP proof that passed every check. @internal */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key, to compare with the token's `cnf.jkt`. */
  jkt: string;
  /** The proof's `jti`, for the replay store. */
  jti: string;
  /** Until when the proof could still be accepted: how long the replay store must remember its `jti`. */
  rememberUntilMs: number;
}

/**
 * The default allow-list: every algorithm of the table, all of them asymmetric (a DPoP proof
 * signed with a shared secret would prove nothing, RFC 9449 §4.2).
 * @internal
 */
export const DPOP_ALGORITHMS: readonly string[] = Object.freeze(Object.keys(JWS_ALGORITHMS));

/** A proof is a few hundred bytes; an RSA 4096 key in its header still fits with room to spare. */
const MAX_PROOF_LENGTH = 8 * 1024;
const MAX_JTI_LENGTH = 256;
const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;

/** A proof's key, imported and thumbprinted once. */
interface ProofKey {
  key: VerificationKey;
  jkt: string;
}

/**
 * Imported keys by the JSON of the whole `jwk` header: a client signs every proof with one
 * key, so importing it each time would be wasted. The whole member, not only its public part,
 * is the memo key, so that a JWK that adds `d`, `use` or `alg` to a key seen before is judged
 * afresh by `toVerificationKey` and `keyFits` rather than answered from the memo.
 */
const keys = new BoundedMemo<ProofKey>(256, 4096);

/**
 * Checks a DPoP proof (RFC 9449 §4.3) for a request that carries an access token: its form,
 * header, embedded public key and signature, then `jti`, `htm`, `htu`, `iat` and `ath`, in
 * that order. Replay (`jti`) and the token's `cnf.jkt` are left to the caller, which gets
 * what it needs for both. Synchronous: the signature is checked with `node:crypto` on the
 * calling thread.
 *
 * @throws {AuthError} `invalid_dpop_proof`, whose message names the check that failed and
 * never a value from the proof.
 * @internal
 */
export function checkDpopProof(proof: string, request: DpopRequest, rules: DpopProofRules): CheckedProof {
  if (typeof proof !== 'string') throw refused('the DPoP proof is not a string');
  if (proof.length > MAX_PROOF_LENGTH) throw refused('the DPoP proof is too long');
  const segments = proof.split('.');
  if (segments.length !== 3 || !segments.every(canonicalSegment)) {
    throw refused('the DPoP proof is not a compact JWS in canonical base64url');
  }
  const [encodedHeader, encodedPayload, encodedSignature] = segments as [string, string, string];

  const { algorithm, key, jkt } = checkedHeader(encodedHeader, rules);
  const signingInput = Buffer.from(proof.slice(0, encodedHeader.length + 1 + encodedPayload.length), 'latin1');
  if (!signatureValid(algorithm, key, signingInput, Buffer.from(encodedSignature, 'base64url'))) {
    throw refused("the DPoP proof's signature is invalid");
  }

  const claims = decodeObject(encodedPayload, 'payload');
  const { jti, htm, htu, iat, ath } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw refused('the DPoP proof has no jti of 1 to 256 characters');
  }
  if (typeof htm !== 'string' || htm !== request.method) {
    throw refused("the DPoP proof's htm does not match the request method");
  }
  const proofUrl = typeof htu === 'string' ? normalizedUrl(htu) : undefined;
  if (proofUrl === undefined || proofUrl !== normalizedUrl(request.url)) {
    throw refused("the DPoP proof's htu does not match the request URL");
  }
  const rememberUntilMs = checkIssuedAt(iat, request.nowMs, rules);
  // The hash is of a token the sender holds already: nothing secret to time, so `!==` will do.
  if (typeof ath !== 'string' || ath !== hashOf(request.accessToken)) {
    throw refused("the DPoP proof's ath does not match the access token");
  }
  return { jkt, jti, rememberUntilMs };
}

/**
 * A URL as `htu` compares it (RFC 9449 §4.3 step 9): scheme, host, port unless the default,
 * and path, with query and fragment dropped. `URL` lowercases scheme and host, drops a
 * default port and resolves dot segments, so two spellings of one URL compare equal.
 * `undefined` for anything but an absolute http(s) URL without userinfo: a URL that names a
 * user is never one a client was asked to prove.
 * @internal
 */
export function normalizeHtu(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** A proof header that passed every check but the allow-list, which differs between callers. */
interface CheckedHeader {
  alg: string;
  algorithm: JwsAlgorithm;
  key: VerificationKey;
  jkt: string;
}

/**
 * Headers checked before, by their encoded text. A client signs every proof with one key and
 * one algorithm, so its proofs share one header: a hit skips decoding it, the key's import
 * and its thumbprint. Only headers that passed are kept; the allow-list is checked every time.
 */
const headers = new BoundedMemo<CheckedHeader>(256, 4096);

/** `typ`, `alg`, `crit` and the embedded key (RFC 9449 §4.3 steps 4-7), from the memo when it can. */
function checkedHeader(encoded: string, rules: DpopProofRules): CheckedHeader {
  const known = headers.get(encoded);
  if (known !== undefined) {
    if (!rules.algorithms.includes(known.alg)) throw refused("the DPoP proof's signing algorithm is not allowed");
    return known;
  }
  const header = decodeObject(encoded, 'header');
  if (!isDpopType(header.typ)) throw refused("the DPoP proof's typ is not dpop+jwt");
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const algorithm = rules.algorithms.includes(alg) ? jwsAlgorithm(alg) : undefined;
  if (algorithm === undefined) throw refused("the DPoP proof's signing algorithm is not allowed");
  // No extension is understood here, so none may be required of us (RFC 7515 §4.1.11).
  if (Object.hasOwn(header, 'crit')) throw refused('the DPoP proof has a crit header, which is not accepted');
  const { key, jkt } = proofKey(header.jwk);
  if (!keyFits(key, alg)) throw refused("the DPoP proof's jwk does not fit its signing algorithm");
  const checked = { alg, algorithm, key, jkt };
  headers.remember(encoded, checked);
  return checked;
}

/** URLs normalised before: a service sees a few URLs, each on many requests. */
const urls = new BoundedMemo<string | null>(1024, 2048);

function normalizedUrl(url: string): string | undefined {
  const known = urls.get(url);
  if (known !== undefined) return known ?? undefined;
  const normalized = normalizeHtu(url);
  urls.remember(url, normalized ?? null);
  return normalized;
}

/** Access-token hashes computed before: a cached token comes with a new proof on every request. */
const tokenHashes = new BoundedMemo<string>(1024, 16 * 1024);

function hashOf(accessToken: string): string {
  const known = tokenHashes.get(accessToken);
  if (known !== undefined) return known;
  const hash = accessTokenHash(accessToken);
  tokenHashes.remember(accessToken, hash);
  return hash;
}

/**
 * `iat` within the window: no older than `maxAgeMs` and no further ahead than the tolerance,
 * with the tolerance also granted on the old side. Worked in milliseconds, where a whole-second
 * `iat` is exact, so the window's edges are accepted exactly. Returns until when the `jti`
 * must be remembered: the last instant this proof would still pass.
 */
function checkIssuedAt(iat: unknown, nowMs: number, rules: DpopProofRules): number {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refused('the DPoP proof has no numeric iat');
  const issuedAtMs = iat * 1000;
  if (nowMs - issuedAtMs > rules.maxAgeMs + rules.clockToleranceMs || issuedAtMs - nowMs > rules.clockToleranceMs) {
    throw refused('the DPoP proof has expired or is not yet valid (iat)');
  }
  // Whole milliseconds, rounded up: a store such as Redis takes no fraction (`PX 24999.5` fails).
  return Math.ceil(issuedAtMs + rules.maxAgeMs + rules.clockToleranceMs);
}

/** RFC 9449 §4.2: base64url of the SHA-256 of the token's ASCII bytes (UTF-8 is the same there). */
function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('base64url');
}

/** The proof's embedded key, from the memo or imported now; judged like a JWKS entry. */
function proofKey(jwk: unknown): ProofKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw refused('the DPoP proof has no jwk header holding a public key');
  }
  const memoKey = JSON.stringify(jwk);
  const known = keys.get(memoKey);
  if (known !== undefined) return known;
  // The reasons are fixed sentences of toVerificationKey, never a value from the key.
  const key = toVerificationKey(jwk);
  if (typeof key === 'string') throw refused(`the DPoP proof's jwk is not a usable public key (${key})`);
  let jkt: string;
  try {
    jkt = jwkThumbprint(jwk as Record<string, unknown>);
  } catch {
    throw refused("the DPoP proof's jwk has no thumbprint");
  }
  const imported = { key, jkt };
  keys.remember(memoKey, imported);
  return imported;
}

/**
 * RFC 7515 §7.2.2 media type comparison: case-insensitive, `application/` implied when
 * absent, as jose compares `typ`.
 */
function isDpopType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === 'dpop+jwt' || lower === 'application/dpop+jwt';
}

/**
 * Non-empty, base64url alphabet only, and the last character using only the bits that carry
 * data (RFC 4648 §3.5): otherwise one proof would have several spellings.
 */
function canonicalSegment(segment: string): boolean {
  return BASE64URL_TEXT.test(segment) && canonicalBase64url(segment, 0, segment.length);
}

/**
 * A segment's JSON object. Bytes that are not UTF-8 are refused, and a leading byte-order mark
 * dropped, as jose's fatal `TextDecoder` would do.
 */
function decodeObject(encoded: string, part: 'header' | 'payload'): Record<string, unknown> {
  const bytes = Buffer.from(encoded, 'base64url');
  if (!isUtf8(bytes)) throw refused(`the DPoP proof's ${part} is not valid UTF-8`);
  const object = parseJsonObject(bytes.toString('utf8'));
  if (object === undefined) throw refused(`the DPoP proof's ${part} is not a JSON object`);
  return object;
}

function refused(message: string): AuthError {
  return new AuthError('invalid_dpop_proof', message);
}
