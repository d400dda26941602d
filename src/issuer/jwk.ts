import { createPublicKey } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';

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
   * Imported on first use, once per algorithm (WebCrypto keys are bound to one): the key
   * itself once the import has finished, its promise while it runs.
   */
  readonly imported: Map<string, CryptoKey | Promise<CryptoKey>>;
  readonly jwk: JWK;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const MIN_RSA_BITS = 2048;

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
  try {
    const keyObject = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (kty === 'RSA' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
      return `RSA key under ${MIN_RSA_BITS} bits`;
    }
  } catch {
    return 'key could not be imported';
  }
  return {
    kid,
    alg,
    kty,
    crv,
    fingerprint: JSON.stringify([kid, alg, kty, crv, jwk.n, jwk.e, jwk.x, jwk.y]),
    live: true,
    imported: new Map(),
    jwk: publicJwk,
  };
}

/** Whether `key` can verify a signature made with `alg`. @internal */
export function keyFits(key: VerificationKey, alg: string): boolean {
  const eddsa = alg === 'EdDSA' || alg === 'Ed25519';
  if (key.alg !== undefined && key.alg !== alg && !(eddsa && (key.alg === 'EdDSA' || key.alg === 'Ed25519'))) {
    return false;
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA';
  if (alg.startsWith('ES')) return key.kty === 'EC' && key.crv === EC_CURVES[alg];
  if (alg === 'Ed25519') return key.kty === 'OKP' && key.crv === 'Ed25519';
  if (alg === 'EdDSA') return key.kty === 'OKP' && (key.crv === 'Ed25519' || key.crv === 'Ed448');
  return false;
}

/**
 * The key imported for `alg`, importing it on first use. Once imported it is returned
 * as is, not in a promise: a verification then waits on one promise fewer.
 * @internal
 */
export function cryptoKeyFor(key: VerificationKey, alg: string): CryptoKey | Promise<CryptoKey> {
  let imported = key.imported.get(alg);
  if (imported === undefined) {
    const importing = importJWK({ ...key.jwk, alg }, alg) as Promise<CryptoKey>;
    key.imported.set(alg, importing);
    importing.then(
      (cryptoKey) => key.imported.set(alg, cryptoKey),
      // A failed import is retried next time rather than remembered.
      () => key.imported.delete(alg),
    );
    imported = importing;
  }
  return imported;
}

function publicMembers(jwk: Record<string, unknown>): JWK {
  const picked: Record<string, unknown> = {};
  for (const name of ['kty', 'crv', 'n', 'e', 'x', 'y']) {
    if (jwk[name] !== undefined) picked[name] = jwk[name];
  }
  return picked as JWK;
}
