/**
 * The differential test of token verification (DESIGN.md rule 10, 0.2): every token of a
 * corpus goes to tenantgate's verifier (node:crypto signatures, our claims module) and to the
 * oracle, tenantgate 0.1's verifier built on jose's `jwtVerify` (./jose-oracle.ts), with the
 * same rules and the same real keys, fetched over HTTP from a real local issuer. Both must
 * accept the same tokens, with the same claims, and refuse the same tokens, with the same
 * error code. The corpus: hand-made attacks, then a few hundred signed base tokens (fast-check
 * picks their headers, claims, keys and algorithms, edge cases included) and at least 100,000
 * mutations of them. Time stands still (a fake `Date`) so that both sides judge `exp`, `nbf`
 * and `iat` at the same instant, boundaries included.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../src/index.js';
import { checkTokenShape } from '../../src/credentials/credentials.js';
import { IssuerKeys } from '../../src/issuer/issuer-keys.js';
import { verifyToken, type VerifiedToken, type VerifyRules } from '../../src/token/verify.js';
import { createTestIssuer, type TestAlgorithm, type TestIssuer } from '../../src/testing.js';
import { verifyWithJose } from './jose-oracle.js';
import { ALGORITHMS, b64, buildBases, type BaseToken, type HandKey } from './differential-corpus.js';
import { mutations, type Mutation } from './differential-mutations.js';
import { handMadeAttacks } from './differential-attacks.js';

const MUTATED_CASES = Number(process.env.DIFFERENTIAL_CASES ?? 100_000);
const BASE_TOKENS = 400;
const AUDIENCE = 'differential-api';
/** The frozen clock, in the middle of a second so that whole-second rounding shows. */
const NOW_MS = Math.floor(Date.now() / 1000) * 1000 + 500;

interface Verdict {
  accepted: boolean;
  code: string | undefined;
  claims?: unknown;
  expiresAtMs?: number;
  kid?: string | undefined;
}

/** One side's verdict; anything but an AuthError would be a 500, and fails the comparison. */
async function judge(token: string, verify: () => unknown): Promise<Verdict> {
  try {
    checkTokenShape(token);
    const verified = (await verify()) as VerifiedToken;
    return {
      accepted: true,
      code: undefined,
      claims: verified.claims,
      expiresAtMs: verified.expiresAtMs,
      kid: verified.key.kid,
    };
  } catch (error) {
    return { accepted: false, code: error instanceof AuthError ? error.code : `thrown: ${String(error)}` };
  }
}

/** The modulus lengths of the RSA keys in play, for recognising the one known divergence. */
const rsaModulusBytes = new Set<number>();

describe('node:crypto verification against jose (differential)', () => {
  let issuer: TestIssuer;
  let lifetime: AbortController;
  let ruleSets: VerifyRules[];
  let handKeys: HandKey[];
  let bases: BaseToken[];

  beforeAll(async () => {
    const issuerAlgorithms = ALGORITHMS.filter((alg): alg is TestAlgorithm => alg !== 'Ed25519');
    issuer = await createTestIssuer({ algorithms: issuerAlgorithms, audience: AUDIENCE });
    // Keys signed with by hand (node:crypto), for headers jose will not sign (crit, b64) and
    // for every pairing of algorithm and key: with and without `alg`, and one without `kid`.
    const made = (kid: string | undefined, alg: string | undefined, pair: { publicKey: KeyObject; privateKey: KeyObject }): HandKey => {
      const jwk: Record<string, unknown> = { ...pair.publicKey.export({ format: 'jwk' }), use: 'sig' };
      if (kid !== undefined) jwk.kid = kid;
      if (alg !== undefined) jwk.alg = alg;
      issuer.publish(jwk);
      return { kid, privateKey: pair.privateKey, type: pair.privateKey.asymmetricKeyType ?? '', curve: pair.privateKey.asymmetricKeyDetails?.namedCurve };
    };
    handKeys = [
      made('rsa-any', undefined, generateKeyPairSync('rsa', { modulusLength: 2048 })),
      made('rsa-3072', undefined, generateKeyPairSync('rsa', { modulusLength: 3072 })),
      made('rsa-ps256', 'PS256', generateKeyPairSync('rsa', { modulusLength: 2048 })),
      made(undefined, undefined, generateKeyPairSync('rsa', { modulusLength: 2048 })),
      made('p256-any', undefined, generateKeyPairSync('ec', { namedCurve: 'P-256' })),
      made('p384-es384', 'ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' })),
      made('p521-any', undefined, generateKeyPairSync('ec', { namedCurve: 'P-521' })),
      made('ed25519-any', undefined, generateKeyPairSync('ed25519')),
      made('ed25519-ed25519', 'Ed25519', generateKeyPairSync('ed25519')),
      made('ed448', undefined, generateKeyPairSync('ed448')),
    ];
    lifetime = new AbortController();
    const keys = new IssuerKeys({
      issuer: issuer.url,
      fetch: globalThis.fetch,
      timeoutMs: 5000,
      // An unknown kid may refetch once; after that the corpus's many unknown kids cost nothing.
      cooldownMs: 3_600_000,
      maxAgeMs: 3_600_000,
      maxStaleMs: 3_600_000,
      allowInsecureHttp: false,
      signal: lifetime.signal,
      emit: undefined,
    });
    await keys.ready();
    const issuers = new Map([[issuer.url, keys]]);
    ruleSets = [
      { issuers, audience: [AUDIENCE], algorithms: [...ALGORITHMS], clockToleranceMs: 30_000, typ: undefined },
      { issuers, audience: ['other', AUDIENCE], algorithms: [...ALGORITHMS], clockToleranceMs: 0, typ: 'at+jwt' },
      { issuers, audience: false, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'], clockToleranceMs: 5_500, typ: 'application/JWT' },
    ];
    for (const jwk of issuer.jwks.keys) if (typeof jwk.n === 'string') rsaModulusBytes.add(Buffer.from(jwk.n, 'base64url').length);
    bases = await buildBases({ issuer, handKeys, audience: AUDIENCE, nowSeconds: NOW_MS / 1000, count: BASE_TOKENS });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_MS);
  }, 120_000);

  afterAll(async () => {
    vi.useRealTimers();
    lifetime?.abort();
    await issuer?.close();
  });

  /** The same rules with the signature path forced, made once per rule set and path. */
  const forcedRules = new Map<VerifyRules, Record<'sync' | 'pool', VerifyRules>>();
  function forced(rules: VerifyRules, signatures: 'sync' | 'pool'): VerifyRules {
    let both = forcedRules.get(rules);
    if (both === undefined) {
      both = { sync: { ...rules, signatures: 'sync' }, pool: { ...rules, signatures: 'pool' } };
      forcedRules.set(rules, both);
    }
    return both[signatures];
  }

  const tally = {
    cases: 0,
    accepted: 0,
    refused: 0,
    byMutation: new Map<string, number>(),
    codes: new Map<string, number>(),
    divergences: new Map<string, number>(),
    acceptedByAlg: new Map<string, number>(),
  };

  /** Runs one token through both sides under one rule set and requires the same verdict. */
  async function compare(token: string, rules: VerifyRules, label: string): Promise<Verdict> {
    const ours = await judge(token, () => verifyToken(token, forced(rules, 'sync')));
    const pooled = await judge(token, () => verifyToken(token, forced(rules, 'pool')));
    const jose = await judge(token, () => verifyWithJose(token, rules));
    // Both paths of tenantgate give one verdict, whatever jose says.
    expect(pooled).toEqual(ours);
    tally.cases += 1;
    if (ours.accepted) tally.accepted += 1;
    else tally.refused += 1;
    tally.byMutation.set(label, (tally.byMutation.get(label) ?? 0) + 1);
    if (ours.code !== undefined) tally.codes.set(ours.code, (tally.codes.get(ours.code) ?? 0) + 1);
    const divergence = await knownDivergence(token, forced(rules, 'sync'), ours, jose);
    if (divergence !== undefined) {
      tally.divergences.set(divergence, (tally.divergences.get(divergence) ?? 0) + 1);
      return ours;
    }
    if (ours.accepted !== jose.accepted || ours.code !== jose.code) {
      throw new Error(`${label}: tenantgate ${JSON.stringify(ours.code ?? 'accepted')}, jose ${JSON.stringify(jose.code ?? 'accepted')} for ${token}`);
    }
    if (ours.accepted) {
      const alg = String((JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString()) as { alg: unknown }).alg);
      tally.acceptedByAlg.set(alg, (tally.acceptedByAlg.get(alg) ?? 0) + 1);
      expect(ours.claims).toEqual(jose.claims);
      expect(ours.expiresAtMs).toBe(jose.expiresAtMs);
      expect(ours.kid).toBe(jose.kid);
    }
    return ours;
  }

  it('agrees on hand-made attacks', async () => {
    const attacks = handMadeAttacks(bases, issuer.jwks.keys);
    const verdicts = new Map<string, Verdict>();
    for (const [label, token] of attacks) {
      for (const rules of ruleSets) verdicts.set(label, await compare(token, rules, `attack: ${label}`));
    }
    // ECDSA signatures are malleable: (r, n - s) verifies too, for jose as for tenantgate (neither
    // asks for a low s; RFC 7518 does not). Another spelling of a token already accepted.
    expect(verdicts.get('s replaced by n - s')).toMatchObject({ accepted: true });
    for (const [label, verdict] of verdicts) if (label !== 's replaced by n - s') expect(verdict, label).toMatchObject({ accepted: false });
  });

  it('answers at once, without a promise, when the keys are at hand', async () => {
    const rules = ruleSets[0] as VerifyRules;
    const accepted = bases.filter((base) => base.label.startsWith('issuer RS256') && verifiesAtOnce(base.token, forced(rules, 'sync')));
    const [first] = accepted;
    if (first === undefined) throw new Error('too few accepted RS256 base tokens');
    // A new turn of the event loop: its first check is synchronous (test/token/burst.test.ts
    // has the rule for the rest of the turn).
    await new Promise((resolve) => setImmediate(resolve));
    const answer = verifyToken(first.token, rules);
    expect(answer).not.toBeInstanceOf(Promise);
    const pooled = verifyToken(first.token, forced(rules, 'pool'));
    expect(pooled).toBeInstanceOf(Promise);
    expect((await pooled).claims).toEqual((answer as VerifiedToken).claims);
  });

  it('refuses an RSA-PSS signature with its leading zero byte dropped, which jose accepts', async () => {
    const key = handKeys.find((each) => each.kid === 'rsa-any');
    if (key === undefined) throw new Error('no hand RSA key');
    const rules = ruleSets[0] as VerifyRules;
    for (let attempt = 0; ; attempt += 1) {
      const claims = { iss: issuer.url, aud: AUDIENCE, exp: NOW_MS / 1000 + 300, sub: 'differential-user', n: attempt };
      const input = `${b64(JSON.stringify({ alg: 'PS256', kid: 'rsa-any' }))}.${b64(JSON.stringify(claims))}`;
      const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      if (signature[0] !== 0) continue;
      const full = await judge(`${input}.${b64(signature)}`, () => verifyToken(`${input}.${b64(signature)}`, rules));
      expect(full.accepted).toBe(true);
      const short = `${input}.${b64(signature.subarray(1))}`;
      expect(await judge(short, () => verifyWithJose(short, rules))).toMatchObject({ accepted: true });
      expect(await judge(short, () => verifyToken(short, forced(rules, 'sync')))).toEqual({ accepted: false, code: 'invalid_token' });
      expect(await judge(short, () => verifyToken(short, forced(rules, 'pool')))).toEqual({ accepted: false, code: 'invalid_token' });
      // Under rules the token fails anyway (another audience), jose names the claim and we the
      // signature; the differential comparison recognises both as this one divergence.
      const otherAudience = { ...rules, audience: ['another-api'] };
      const joseVerdict = await judge(short, () => verifyWithJose(short, otherAudience));
      expect(joseVerdict).toEqual({ accepted: false, code: 'audience_mismatch' });
      const ourVerdict = await judge(short, () => verifyToken(short, forced(otherAudience, 'sync')));
      expect(ourVerdict).toEqual({ accepted: false, code: 'invalid_token' });
      expect(await knownDivergence(short, forced(otherAudience, 'sync'), ourVerdict, joseVerdict)).toBe('RSA signature shorter than the modulus');
      expect(await knownDivergence(short, forced(otherAudience, 'sync'), ourVerdict, { accepted: false, code: 'issuer_mismatch' })).toBeUndefined();
      return;
    }
  });

  it(`agrees on every base token and on ${MUTATED_CASES.toLocaleString('en')} mutations of them`, async () => {
    for (const base of bases) for (const rules of ruleSets) await compare(base.token, rules, 'base token');
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bases.length - 1 }),
        fc.nat({ max: bases.length - 1 }),
        fc.nat({ max: ruleSets.length - 1 }),
        mutations,
        async (index, otherIndex, ruleIndex, mutation: Mutation) => {
          const base = bases[index] as BaseToken;
          const other = bases[otherIndex] as BaseToken;
          const token = mutation.apply(base, other);
          await compare(token, ruleSets[ruleIndex] as VerifyRules, mutation.name);
        },
      ),
      { numRuns: MUTATED_CASES, endOnFailure: true },
    );
    const summary = {
      cases: tally.cases,
      accepted: tally.accepted,
      refused: tally.refused,
      mutations: Object.fromEntries(tally.byMutation),
      codes: Object.fromEntries(tally.codes),
      divergences: Object.fromEntries(tally.divergences),
      acceptedByAlg: Object.fromEntries(tally.acceptedByAlg),
    };
    console.log(`differential: ${JSON.stringify(summary)}`);
    expect(tally.cases).toBeGreaterThanOrEqual(MUTATED_CASES + bases.length * ruleSets.length);
    // Both sides of the decision were exercised, and not barely.
    expect(tally.accepted).toBeGreaterThan(tally.cases / 50);
    expect(tally.refused).toBeGreaterThan(tally.cases / 2);
    for (const alg of ALGORITHMS) expect(tally.acceptedByAlg.get(alg) ?? 0, `accepted ${alg} tokens`).toBeGreaterThan(0);
    for (const code of ['invalid_token', 'token_expired', 'token_not_yet_valid', 'issuer_mismatch', 'audience_mismatch', 'algorithm_not_allowed', 'key_not_found']) {
      expect(tally.codes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  }, 300_000);
});

/**
 * The one place where tenantgate is stricter than jose on purpose (docs/security.md): an RSA
 * signature must be exactly as long as the modulus (RFC 8017 §8.1.2). WebCrypto in Node
 * accepts an RSA-PSS signature whose leading zero bytes were dropped, a second spelling of one
 * signature; tenantgate refuses it. Such a token is recognised by giving the signature its zero
 * bytes back: if tenantgate then reaches jose's verdict (an acceptance, or a refusal for a claim
 * such as the audience), the length was the only difference. Anything else fails the test.
 */
async function knownDivergence(token: string, rules: VerifyRules, ours: Verdict, jose: Verdict): Promise<string | undefined> {
  if (ours.code !== 'invalid_token' || jose.code === 'invalid_token') return undefined;
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  for (const modulusBytes of rsaModulusBytes) {
    if (modulusBytes <= signature.length) continue;
    const padded = `${token.slice(0, dot)}.${b64(Buffer.concat([Buffer.alloc(modulusBytes - signature.length), signature]))}`;
    const restored = await judge(padded, () => verifyToken(padded, rules));
    if (restored.accepted === jose.accepted && restored.code === jose.code) return 'RSA signature shorter than the modulus';
  }
  return undefined;
}

/** Whether a token verifies at once (its key at hand, no promise): for picking good tokens. */
function verifiesAtOnce(token: string, rules: VerifyRules): boolean {
  try {
    const answer = verifyToken(token, rules);
    if (!(answer instanceof Promise)) return true;
    // An unknown kid: a refusal to come, which is no good pick.
    answer.catch(() => undefined);
    return false;
  } catch {
    return false;
  }
}
