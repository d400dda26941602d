/**
 * `checkDpopProof` against an oracle: jose's `jwtVerify` with `EmbeddedJWK` for the JWS (form,
 * `typ`, `alg`, embedded public key, signature), plus the rules jose does not have, written
 * here again from RFC 9449 §4.3 (canonical base64url, the size cap, no `crit`, `jti`, `htm`,
 * `htu`, `iat`, `ath`). For proofs with random valid and invalid mutations, both must accept
 * or both refuse.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/base/errors.js';
import { checkDpopProof, DPOP_ALGORITHMS, type DpopProofRules, type DpopRequest } from '../../src/token/dpop-proof.js';
import {
  flippedSignature, joseProof, NOW, nonCanonicalTwin, PROOF_ALGORITHMS, proofClaims, proofKey, rawProof, REQUEST,
  RULES, segments, type ProofAlgorithm, type ProofKey,
} from './dpop-fixtures.js';

/** Each mutation: how the proof is built, and (for some) how the rules or request change. */
const MUTATIONS = [
  'none', 'typ-upper', 'typ-application', 'typ-jwt', 'typ-missing', 'alg-not-allowed', 'hs256', 'crit',
  'private-jwk', 'jwk-use-enc', 'jwk-alg-mismatch', 'jwk-other-key', 'jwk-other-type', 'signature-flipped',
  'signature-non-canonical', 'two-segments', 'htm-lowercase', 'htm-other', 'htu-path', 'htu-host',
  'htu-scheme', 'htu-port', 'htu-uppercase-host', 'htu-default-port', 'request-query', 'jti-missing',
  'jti-empty', 'jti-256', 'jti-257', 'ath-missing', 'ath-wrong', 'iat-string',
] as const;
type Mutation = (typeof MUTATIONS)[number];
/** The mutations that leave a proof valid (with iat at the current time). */
const HARMLESS: ReadonlySet<Mutation> = new Set<Mutation>([
  'none', 'typ-upper', 'typ-application', 'htu-uppercase-host', 'htu-default-port', 'request-query', 'jti-256',
]);

interface Case {
  proof: string;
  request: DpopRequest;
  rules: DpopProofRules;
}

const keys = new Map<ProofAlgorithm, ProofKey>();
const others = new Map<ProofAlgorithm, ProofKey>();
const key = (alg: ProofAlgorithm): ProofKey => keys.get(alg) as ProofKey;

beforeAll(async () => {
  for (const alg of PROOF_ALGORITHMS) {
    keys.set(alg, await proofKey(alg));
    others.set(alg, await proofKey(alg));
  }
});

async function build(alg: ProofAlgorithm, mutation: Mutation, iatOffset: number, nowExtraMs: number): Promise<Case> {
  const k = key(alg);
  const claims = (overrides: Record<string, unknown> = {}) => proofClaims({ iat: NOW + iatOffset, ...overrides });
  const sign = (header: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) =>
    joseProof(k, { header, claims: claims(overrides) });
  const request = { ...REQUEST, nowMs: REQUEST.nowMs + nowExtraMs };
  const plain = (proof: string): Case => ({ proof, request, rules: RULES });
  switch (mutation) {
    case 'none': return plain(await sign());
    case 'typ-upper': return plain(await sign({ typ: 'DPOP+JWT' }));
    case 'typ-application': return plain(await sign({ typ: 'application/dpop+jwt' }));
    case 'typ-jwt': return plain(await sign({ typ: 'JWT' }));
    case 'typ-missing': return plain(await sign({ typ: undefined }));
    case 'alg-not-allowed': return { proof: await sign(), request, rules: { ...RULES, algorithms: DPOP_ALGORITHMS.filter((a) => a !== alg) } };
    case 'hs256': {
      const proof = await joseProof(k, { header: { alg: 'HS256' }, claims: claims(), signer: new Uint8Array(32).fill(1) });
      return { proof, request, rules: { ...RULES, algorithms: [...DPOP_ALGORITHMS, 'HS256'] } };
    }
    case 'crit': return plain(rawProof(alg, k.privateKey, { alg, typ: 'dpop+jwt', jwk: k.jwk, crit: ['b64'], b64: true }, claims()));
    case 'private-jwk': return plain(await sign({ jwk: k.privateJwk }));
    case 'jwk-use-enc': return plain(await sign({ jwk: { ...k.jwk, use: 'enc' } }));
    case 'jwk-alg-mismatch': return plain(await sign({ jwk: { ...k.jwk, alg: alg === 'ES256' ? 'ES384' : 'ES256' } }));
    case 'jwk-other-key': return plain(await sign({ jwk: (others.get(alg) as ProofKey).jwk }));
    case 'jwk-other-type': return plain(await sign({ jwk: key(alg === 'EdDSA' ? 'ES256' : 'EdDSA').jwk }));
    case 'signature-flipped': return plain(flippedSignature(await sign()));
    case 'signature-non-canonical': return plain(nonCanonicalTwin(await sign()));
    case 'two-segments': return plain(segments(await sign()).slice(0, 2).join('.'));
    case 'htm-lowercase': return plain(await sign({}, { htm: 'post' }));
    case 'htm-other': return plain(await sign({}, { htm: 'GET' }));
    case 'htu-path': return plain(await sign({}, { htu: 'https://api.example.com/v1/pull' }));
    case 'htu-host': return plain(await sign({}, { htu: 'https://api.example.org/v1/push' }));
    case 'htu-scheme': return plain(await sign({}, { htu: 'http://api.example.com/v1/push' }));
    case 'htu-port': return plain(await sign({}, { htu: 'https://api.example.com:8443/v1/push' }));
    case 'htu-uppercase-host': return plain(await sign({}, { htu: 'https://API.EXAMPLE.com/v1/push' }));
    case 'htu-default-port': return plain(await sign({}, { htu: 'https://api.example.com:443/v1/push' }));
    case 'request-query': return { proof: await sign(), request: { ...request, url: `${REQUEST.url}?a=1#b` }, rules: RULES };
    case 'jti-missing': return plain(await sign({}, { jti: undefined }));
    case 'jti-empty': return plain(await sign({}, { jti: '' }));
    case 'jti-256': return plain(await sign({}, { jti: 'a'.repeat(256) }));
    case 'jti-257': return plain(await sign({}, { jti: 'a'.repeat(257) }));
    case 'ath-missing': return plain(await sign({}, { ath: undefined }));
    case 'ath-wrong': return plain(await sign({}, { ath: createHash('sha256').update('another token').digest('base64url') }));
    case 'iat-string': return plain(await sign({}, { iat: String(NOW) }));
  }
}

function ours({ proof, request, rules }: Case): boolean {
  try {
    checkDpopProof(proof, request, rules);
    return true;
  } catch (error) {
    if (!(error instanceof AuthError) || error.code !== 'invalid_dpop_proof') throw error;
    return false;
  }
}

const canonical = (part: string): boolean =>
  /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;

function htuOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password) return undefined;
    return parsed.origin + parsed.pathname;
  } catch {
    return undefined;
  }
}

async function oracle({ proof, request, rules }: Case): Promise<boolean> {
  if (proof.length > 8192) return false;
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every(canonical)) return false;
  let verified;
  try {
    verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...rules.algorithms] });
  } catch {
    return false;
  }
  const { payload, protectedHeader } = verified;
  if ('crit' in protectedHeader) return false;
  const { jti, htm, htu, iat, ath } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length < 1 || jti.length > 256) return false;
  if (htm !== request.method) return false;
  const expectedHtu = htuOf(request.url);
  if (typeof htu !== 'string' || expectedHtu === undefined || htuOf(htu) !== expectedHtu) return false;
  if (typeof iat !== 'number') return false;
  const ageMs = request.nowMs - iat * 1000;
  if (ageMs > rules.maxAgeMs + rules.clockToleranceMs || -ageMs > rules.clockToleranceMs) return false;
  return ath === createHash('sha256').update(request.accessToken).digest('base64url');
}

describe('checkDpopProof agrees with jose plus the RFC 9449 rules', () => {
  it('on every mutation with every algorithm', async () => {
    for (const alg of PROOF_ALGORITHMS) {
      for (const mutation of MUTATIONS) {
        const built = await build(alg, mutation, 0, 0);
        expect(await oracle(built), `oracle: ${alg} ${mutation}`).toBe(HARMLESS.has(mutation));
        expect(ours(built), `${alg} ${mutation}`).toBe(HARMLESS.has(mutation));
      }
    }
  });

  it('on 200 proofs with random mutations', async () => {
    const verdicts = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROOF_ALGORITHMS),
        fc.constantFrom(...MUTATIONS),
        fc.oneof(fc.constant(0), fc.integer({ min: -70, max: 8 })),
        fc.integer({ min: 0, max: 999 }),
        async (alg, mutation, iatOffset, nowExtraMs) => {
          const built = await build(alg, mutation, iatOffset, nowExtraMs);
          const expected = await oracle(built);
          expect(ours(built), `${alg} ${mutation} iat${iatOffset} +${nowExtraMs}ms`).toBe(expected);
          verdicts[expected ? 'accepted' : 'refused'] += 1;
        },
      ),
      { numRuns: 200 },
    );
    expect(verdicts.accepted).toBeGreaterThan(20);
    expect(verdicts.refused).toBeGreaterThan(20);
  }, 15_000);
});
