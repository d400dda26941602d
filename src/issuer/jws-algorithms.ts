import type { KeyObject } from 'node:crypto';

/**
 * What each supported JWS algorithm (RFC 7518 §3, RFC 8037) demands of its key and of its
 * signature, for `node:crypto`'s one-shot `verify`. Algorithm confusion lives in the gap
 * between a token's `alg` and the key that checks it, so every fact the check relies on is
 * stated here, once, and read both when keys are picked and when a signature is verified.
 * @internal
 */
export interface JwsAlgorithm {
  /** `KeyObject.asymmetricKeyType` the key must have (a JWK with `kty: RSA` imports as `rsa`). */
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  /** The JWK `kty` that imports as `keyType`. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** For EC and OKP keys, the JWK `crv` the key must be on. */
  readonly crv: 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | undefined;
  /** For EC keys, the same curve as OpenSSL names it (`asymmetricKeyDetails.namedCurve`). */
  readonly namedCurve: 'prime256v1' | 'secp384r1' | 'secp521r1' | undefined;
  /** The digest for `crypto.verify`; `null` for Ed25519, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS with a salt as long as the digest (RFC 7518 §3.5), or PKCS #1 v1.5 when absent. */
  readonly pssSaltLength: number | undefined;
  /**
   * The exact signature length in bytes, or `'modulus'` for RSA (RFC 8017 §8.2.2 step 1:
   * a signature is exactly as long as the modulus). ECDSA signatures are `r || s`
   * (IEEE P1363, RFC 7518 §3.4), never DER.
   */
  readonly signatureBytes: number | 'modulus';
}

/** RSA keys below this size are refused, as jose refuses them (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

const rsa = (hash: 'sha256' | 'sha384' | 'sha512', pssSaltLength?: number): JwsAlgorithm => ({
  keyType: 'rsa',
  kty: 'RSA',
  crv: undefined,
  namedCurve: undefined,
  hash,
  pssSaltLength,
  signatureBytes: 'modulus',
});

const ecdsa = (
  crv: 'P-256' | 'P-384' | 'P-521',
  namedCurve: 'prime256v1' | 'secp384r1' | 'secp521r1',
  hash: 'sha256' | 'sha384' | 'sha512',
  signatureBytes: number,
): JwsAlgorithm => ({ keyType: 'ec', kty: 'EC', crv, namedCurve, hash, pssSaltLength: undefined, signatureBytes });

/**
 * jose 6 (tenantgate 0.1's verifier) runs `EdDSA` as Ed25519 only, through WebCrypto, so an
 * Ed448 key never verified anything; it stays that way.
 */
const ed25519: JwsAlgorithm = {
  keyType: 'ed25519',
  kty: 'OKP',
  crv: 'Ed25519',
  namedCurve: undefined,
  hash: null,
  pssSaltLength: undefined,
  signatureBytes: 64,
};

/**
 * The table. A null prototype, so that an `alg` such as `constructor` or `__proto__` finds
 * nothing rather than something inherited.
 * @internal
 */
export const JWS_ALGORITHMS: Readonly<Record<string, JwsAlgorithm | undefined>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, JwsAlgorithm>, {
    RS256: rsa('sha256'),
    RS384: rsa('sha384'),
    RS512: rsa('sha512'),
    PS256: rsa('sha256', 32),
    PS384: rsa('sha384', 48),
    PS512: rsa('sha512', 64),
    ES256: ecdsa('P-256', 'prime256v1', 'sha256', 64),
    ES384: ecdsa('P-384', 'secp384r1', 'sha384', 96),
    ES512: ecdsa('P-521', 'secp521r1', 'sha512', 132),
    EdDSA: ed25519,
    Ed25519: ed25519,
  }),
);

/** The table's entry for `alg`, or `undefined` for any algorithm tenantgate does not verify. @internal */
export function jwsAlgorithm(alg: string): JwsAlgorithm | undefined {
  return JWS_ALGORITHMS[alg];
}

/**
 * Whether an imported key is exactly what `algorithm` needs: its type, its curve, and for RSA
 * a modulus of at least {@link MIN_RSA_BITS}. A PSS-only RSA key (`rsa-pss`) never comes
 * from a JWK and is refused like any other type.
 * @internal
 */
export function keyObjectFits(algorithm: JwsAlgorithm, keyObject: KeyObject): boolean {
  if (keyObject.type !== 'public' || keyObject.asymmetricKeyType !== algorithm.keyType) return false;
  const details = keyObject.asymmetricKeyDetails;
  if (algorithm.keyType === 'rsa') return (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
  if (algorithm.keyType === 'ec') return details?.namedCurve === algorithm.namedCurve;
  return true;
}
