/**
 * DPoP proofs for the tests: real keys from jose, proofs signed with jose's `SignJWT`, and a
 * raw signer (node:crypto) for the proofs jose will not produce (`crit`, a payload that is not
 * an object, a key under 2048 bits).
 */
import { constants, createHash, KeyObject, randomUUID, sign as cryptoSign, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { DpopProofRules, DpopRequest } from '../../src/token/dpop-proof.js';
import { DPOP_ALGORITHMS } from '../../src/token/dpop-proof.js';

export const PROOF_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const;
export type ProofAlgorithm = (typeof PROOF_ALGORITHMS)[number];

export interface ProofKey {
  alg: ProofAlgorithm;
  privateKey: CryptoKey;
  /** The public JWK, as a client puts it in the proof header. */
  jwk: JWK;
  /** The private JWK (with `d`), for the proofs that leak it. */
  privateJwk: JWK;
}

export async function proofKey(alg: ProofAlgorithm): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, jwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

/** Whole seconds, so that `iat` lands exactly on the window's edges. */
export const NOW_MS = 1_700_000_000_000;
export const NOW = NOW_MS / 1000;
export const RULES: DpopProofRules = { algorithms: DPOP_ALGORITHMS, maxAgeMs: 60_000, clockToleranceMs: 5_000 };
export const ACCESS_TOKEN = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.${randomUUID()}`;
export const REQUEST: DpopRequest = {
  method: 'POST',
  url: 'https://api.example.com/v1/push',
  accessToken: ACCESS_TOKEN,
  nowMs: NOW_MS,
};

export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** Valid claims for {@link REQUEST}; an override set to `undefined` removes the claim. */
export function proofClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    htm: REQUEST.method,
    htu: REQUEST.url,
    iat: NOW,
    ath: athOf(ACCESS_TOKEN),
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

export interface ProofParts {
  /** Header members over the defaults (`alg`, `typ: dpop+jwt`, `jwk`); `undefined` removes one. */
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** The key that signs, when not the one named in the header. */
  signer?: CryptoKey | Uint8Array;
}

/** A proof signed with jose's `SignJWT`. */
export async function joseProof(key: ProofKey, parts: ProofParts = {}): Promise<string> {
  const header: Record<string, unknown> = { alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...parts.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(parts.claims ?? proofClaims())
    .setProtectedHeader(header as { alg: string })
    .sign(parts.signer ?? key.privateKey);
}

export const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A proof signed with node:crypto, whatever its header and payload say. */
export function rawProof(alg: ProofAlgorithm, privateKey: CryptoKey | KeyObject, header: unknown, payload: unknown): string {
  const key = privateKey instanceof KeyObject ? privateKey : KeyObject.from(privateKey as unknown as webcrypto.CryptoKey);
  const input = `${segment(header)}.${segment(payload)}`;
  const hash = alg === 'EdDSA' ? null : alg === 'ES384' ? 'sha384' : 'sha256';
  const options =
    alg === 'PS256'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : alg.startsWith('ES')
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key;
  return `${input}.${cryptoSign(hash, Buffer.from(input), options).toString('base64url')}`;
}

/** The three segments of a compact JWS. */
export function segments(proof: string): [string, string, string] {
  const [header = '', payload = '', signature = ''] = proof.split('.');
  return [header, payload, signature];
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same proof spelled non-canonically: the last character of its signature (or, when the
 * signature's length leaves no spare bits, of its payload or header) with an unused bit set,
 * which decodes to the same bytes; a trailing `=` when no segment has spare bits.
 */
export function nonCanonicalTwin(proof: string): string {
  const parts = segments(proof);
  for (const index of [2, 1, 0]) {
    const part = parts[index] as string;
    if (part.length % 4 === 0) continue;
    const last = BASE64URL.indexOf(part.charAt(part.length - 1));
    const twin = `${part.slice(0, -1)}${BASE64URL.charAt(last + 1)}`;
    if (!Buffer.from(twin, 'base64url').equals(Buffer.from(part, 'base64url'))) throw new Error('not a twin');
    parts[index] = twin;
    return parts.join('.');
  }
  return `${proof}=`;
}

/** The proof with one bit of its signature flipped. */
export function flippedSignature(proof: string): string {
  const [header, payload, signature] = segments(proof);
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
