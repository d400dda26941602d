import { verify } from 'node:crypto';
import type { JwsAlgorithm } from '../issuer/jws-algorithms.js';
import type { VerificationKey } from '../issuer/jwk.js';
import { signatureFits, verifyOptions } from './signature.js';

/**
 * The same check as `signatureValid`, run by `node:crypto` on libuv's thread pool (its
 * callback form): `done` gets the verdict later, and the main thread is free meanwhile. Used
 * for the share of a burst of first-seen tokens past the turn's synchronous budget
 * (`burst.ts`), where the pool's threads verify in parallel on the other CPUs. The same key
 * object, options and OpenSSL call as the synchronous path, so both give one verdict; the
 * table's checks run first, on the calling thread (a misfit is a `false` at once). `done` is
 * called exactly once and must not throw.
 * @internal
 */
export function signatureValidOnPool(
  algorithm: JwsAlgorithm,
  key: VerificationKey,
  signingInput: Buffer,
  signature: Buffer,
  done: (valid: boolean) => void,
): void {
  if (!signatureFits(algorithm, key, signature)) {
    done(false);
    return;
  }
  try {
    verify(algorithm.hash, signingInput, verifyOptions(algorithm, key), signature, (error, valid) => done(error === null && valid));
  } catch {
    done(false);
  }
}
