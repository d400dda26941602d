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
  if (!keyMatches(key, algorithm)) return false;
  const { keyObject } = key;
  const expectedBytes =
    algorithm.signatureBytes === 'modulus'
      ? Math.ceil((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
      : algorithm.signatureBytes;
  if (signature.length !== expectedBytes) return false;
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
