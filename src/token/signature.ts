import { constants, verify } from 'node:crypto';
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
  const { keyObject } = key;
  try {
    if (algorithm.pssSaltLength !== undefined) {
      return verify(
        algorithm.hash,
        signingInput,
        { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength },
        signature,
      );
    }
    if (algorithm.keyType === 'ec') return verify(algorithm.hash, signingInput, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(algorithm.hash, signingInput, keyObject, signature);
  } catch {
    return false;
  }
}

/**
 * What is checked before any cryptography, on either path: the key is exactly the type, curve
 * and size the table asks for, and the signature exactly as long as the algorithm makes them
 * (for RSA, the modulus length: WebCrypto accepted a PSS signature one byte short).
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
