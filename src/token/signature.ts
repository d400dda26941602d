import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import type { JwsAlgorithm } from '../issuer/jws-algorithms.js';
import { keyMatches, type VerificationKey } from '../issuer/jwk.js';

/**
 * Whether `signature` is `key`'s signature of `signingInput` under `algorithm`, checked with
 * `node:crypto`'s one-shot `verify` on the calling thread: no promise, no trip to libuv's
 * thread pool (docs/decisions.md has the measurement). The key's type, curve and size and the
 * signature's length must be exactly what the algorithm table says before OpenSSL sees
 * anything; a key picked for another algorithm is a `false`, never a best effort. Never
 * throws: OpenSSL's refusals of malformed input are a `false` too, as they were for jose.
 * @internal
 */
export function signatureValid(
  algorithm: JwsAlgorithm,
  key: VerificationKey,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  if (!signatureFits(algorithm, key, signature)) return false;
  try {
    return verify(algorithm.hash, signingInput, verifyOptions(algorithm, key), signature);
  } catch {
    return false;
  }
}

/**
 * The key and its options for OpenSSL, for both paths: PSS padding with the table's salt
 * length, ECDSA signatures as JOSE writes them (r and s side by side, not DER).
 * @internal
 */
export function verifyOptions(algorithm: JwsAlgorithm, key: VerificationKey): KeyObject | VerifyKeyObjectInput {
  const { keyObject } = key;
  if (algorithm.pssSaltLength !== undefined) {
    return { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength };
  }
  if (algorithm.keyType === 'ec') return { key: keyObject, dsaEncoding: 'ieee-p1363' };
  return keyObject;
}

/**
 * What is checked before any cryptography, on either path: the key is exactly the type, curve
 * and size the table asks for, and the signature exactly as long as the algorithm makes them
 * (for RSA, the modulus length: WebCrypto, which jose uses, accepts a PSS signature one byte
 * short).
 * @internal
 */
export function signatureFits(algorithm: JwsAlgorithm, key: VerificationKey, signature: Buffer): boolean {
  if (!keyMatches(key, algorithm)) return false;
  const expectedBytes =
    algorithm.signatureBytes === 'modulus'
      ? Math.ceil((key.keyObject.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
      : algorithm.signatureBytes;
  return signature.length === expectedBytes;
}
