import { webcrypto } from 'node:crypto';
import type { JwsAlgorithm } from '../issuer/jws-algorithms.js';
import type { VerificationKey } from '../issuer/jwk.js';
import { signatureFits } from './signature.js';

type SubtleKey = webcrypto.CryptoKey;

/**
 * WebCrypto keys, imported on first use once per key and algorithm (a WebCrypto key is bound to
 * one), kept beside the verification key for as long as it lives.
 */
const imported = new WeakMap<VerificationKey, Map<string, Promise<SubtleKey>>>();

/**
 * The same check as `signatureValid`, run by WebCrypto on libuv's thread pool: the answer
 * comes in a promise, and the main thread is free meanwhile. Used only for bursts of first-seen
 * tokens, where the pool's threads verify in parallel (docs/decisions.md has the measurement).
 * The table's checks run first, on the calling thread, exactly as on the synchronous path.
 * Never rejects.
 * @internal
 */
export async function signatureValidOnPool(
  algorithm: JwsAlgorithm,
  key: VerificationKey,
  signingInput: Buffer,
  signature: Buffer,
): Promise<boolean> {
  if (!signatureFits(algorithm, key, signature)) return false;
  try {
    const subtleKey = await importFor(algorithm, key);
    return await webcrypto.subtle.verify(verifyParameters(algorithm), subtleKey, signature, signingInput);
  } catch {
    return false;
  }
}

function importFor(algorithm: JwsAlgorithm, key: VerificationKey): Promise<SubtleKey> {
  let byAlgorithm = imported.get(key);
  if (byAlgorithm === undefined) imported.set(key, (byAlgorithm = new Map()));
  const name = importName(algorithm);
  let importing = byAlgorithm.get(name);
  if (importing === undefined) {
    importing = webcrypto.subtle.importKey('jwk', key.jwk as webcrypto.JsonWebKey, importParameters(algorithm), false, ['verify']);
    byAlgorithm.set(name, importing);
    // A failed import is retried next time rather than remembered.
    importing.catch(() => byAlgorithm.delete(name));
  }
  return importing;
}

const digest = (algorithm: JwsAlgorithm): string => `SHA-${(algorithm.hash ?? '').slice(3)}`;

/** One WebCrypto key per distinct set of import parameters. */
function importName(algorithm: JwsAlgorithm): string {
  const params = importParameters(algorithm);
  return JSON.stringify(params);
}

function importParameters(algorithm: JwsAlgorithm): webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  if (algorithm.keyType === 'ed25519') return { name: 'Ed25519' };
  if (algorithm.keyType === 'ec') return { name: 'ECDSA', namedCurve: algorithm.crv ?? '' };
  return { name: algorithm.pssSaltLength === undefined ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS', hash: digest(algorithm) };
}

function verifyParameters(algorithm: JwsAlgorithm): webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams {
  if (algorithm.keyType === 'ed25519') return { name: 'Ed25519' };
  if (algorithm.keyType === 'ec') return { name: 'ECDSA', hash: digest(algorithm) };
  if (algorithm.pssSaltLength !== undefined) return { name: 'RSA-PSS', saltLength: algorithm.pssSaltLength };
  return { name: 'RSASSA-PKCS1-v1_5' };
}
