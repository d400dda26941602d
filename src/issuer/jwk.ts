import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { jwsAlgorithm, keyObjectFits, MIN_RSA_BITS, type JwsAlgorithm } from './jws-algorithms.js';

/** A public key from an issuer's JWKS, checked and ready to verify signatures. @internal */
export interface VerificationKey {
  readonly kid: string | undefined;
  /** The JWK's own `alg`, when it states one. */
  readonly alg: string | undefined;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly crv: string | undefined;
  /** Identifies the key material, to tell a rotated key from a kept one. */
  readonly fingerprint: string;
  /** `false` from the moment a refresh no longer finds the key in the JWKS. */
  live: boolean;
  /**
   * Set by the issuer's key cache: whether its keys may still be relied on now (no older
   * than `maxAge + maxStale`), starting a refresh when one is due. Checked on cache hits.
   */
  trusted?: (now: number) => boolean;
  /**
   * The key imported once, when the JWKS is read, for `node:crypto`'s one-shot `verify`:
   * a `KeyObject` serves every algorithm its type fits, so nothing is imported per token.
   */
  readonly keyObject: KeyObject;
  readonly jwk: JWK;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Turns one entry of a JWKS into a verification key, or says why it is unusable for
 * verifying signatures (item 9 of the contract). Never throws.
 */
export function toVerificationKey(entry: unknown): VerificationKey | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'not a JSON object';
  const jwk = entry as Record<string, unknown>;
  const { kty, use, key_ops: keyOps, kid, alg, crv } = jwk;
  if (kty === 'oct') return 'symmetric key';
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return 'unsupported key type';
  if (use !== undefined && use !== 'sig') return 'not a signing key (use)';
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) {
    return 'not a verification key (key_ops)';
  }
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'private key material';
  if (kid !== undefined && typeof kid !== 'string') return 'kid is not a string';
  if (alg !== undefined && typeof alg !== 'string') return 'alg is not a string';
  if (crv !== undefined && typeof crv !== 'string') return 'crv is not a string';
  const publicJwk = publicMembers(jwk);
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' });
  } catch {
    return 'key could not be imported';
  }
  if (kty === 'RSA' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    return `RSA key under ${MIN_RSA_BITS} bits`;
  }
  return {
    kid,
    alg,
    kty,
    crv,
    fingerprint: JSON.stringify([kid, alg, kty, crv, jwk.n, jwk.e, jwk.x, jwk.y]),
    live: true,
    keyObject,
    jwk: publicJwk,
  };
}

/**
 * Whether `key` can verify a signature made with `alg`: the JWK's own `alg`, when stated,
 * names it (`EdDSA` and `Ed25519` being one algorithm), and the key is exactly the type and
 * curve the algorithm table asks for, judged on the JWK and on the imported key alike.
 * @internal
 */
export function keyFits(key: VerificationKey, alg: string): boolean {
  const algorithm = jwsAlgorithm(alg);
  if (algorithm === undefined) return false;
  if (key.alg !== undefined && key.alg !== alg && !(isEdDsa(alg) && isEdDsa(key.alg))) return false;
  return keyMatches(key, algorithm);
}

/**
 * Whether `key` is of the type and curve `algorithm` needs, by its JWK's `kty` and `crv` and
 * by the imported key itself: both must agree with the table.
 * @internal
 */
export function keyMatches(key: VerificationKey, algorithm: JwsAlgorithm): boolean {
  // An RSA JWK's stray `crv` member means nothing and was never held against it.
  if (key.kty !== algorithm.kty || (algorithm.crv !== undefined && key.crv !== algorithm.crv)) return false;
  return keyObjectFits(algorithm, key.keyObject);
}

function isEdDsa(alg: string): boolean {
  return alg === 'EdDSA' || alg === 'Ed25519';
}

function publicMembers(jwk: Record<string, unknown>): JWK {
  const picked: Record<string, unknown> = {};
  for (const name of ['kty', 'crv', 'n', 'e', 'x', 'y']) {
    if (jwk[name] !== undefined) picked[name] = jwk[name];
  }
  return picked as JWK;
}
