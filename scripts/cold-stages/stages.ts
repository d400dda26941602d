// The stages of a first-seen token's verification, each timed on its own tokens, interleaved
// round by round so that the machine's drift falls on every stage alike. Bundled and run by
// scripts/measure-cold-stages.mjs; not part of the library.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { createAuthenticator } from '../../src/index.js';
import { createTestIssuer } from '../../src/testing.js';
import { checkTokenShape } from '../../src/credentials/credentials.js';
import { IssuerKeys, type IssuerKeysOptions } from '../../src/issuer/issuer-keys.js';
import { verifyToken, type VerifiedToken, type VerifyRules } from '../../src/token/verify.js';
import { TokenCache } from '../../src/token/token-cache.js';
import { tokenEntryOf, type TokenEntry } from '../../src/authenticator/token-entry.js';
import { PolicyNameMemo } from '../../src/policy/policy-names.js';
import { regexEngine } from '../../src/base/regex-engine.js';

const ALG = (process.env.ALG ?? 'RS256') as 'RS256' | 'ES256';
const PER_ROUND = Number(process.env.PER_ROUND ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const AUDIENCE = 'metrics-api';
const SUB = 'pref-1234567890-bench';
const REGEX = 'pref-([0-9]+)-.*';

const issuer = await createTestIssuer({ algorithms: [ALG], audience: AUDIENCE });
// Flat strings, as an HTTP parser hands them over.
const flat = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');
async function mint(count: number, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (let index = 0; index < count; index += 256) {
    const batch = Array.from({ length: Math.min(256, count - index) }, (_, offset) =>
      issuer.sign({ sub: SUB, jti: `${tag}${index + offset}` }, { expiresIn: '2h' }),
    );
    out.push(...(await Promise.all(batch)).map(flat));
  }
  return out;
}

const lifetime = new AbortController();
const keyOptions: IssuerKeysOptions = {
  issuer: issuer.url,
  fetch: globalThis.fetch,
  timeoutMs: 5_000,
  cooldownMs: 1_000,
  maxAgeMs: 3_600_000,
  maxStaleMs: 3_600_000,
  allowInsecureHttp: true,
  signal: lifetime.signal,
  emit: undefined,
} as IssuerKeysOptions;
const keys = new IssuerKeys(keyOptions);
await keys.ready();
const rules: VerifyRules = {
  issuers: new Map([[issuer.url, keys]]),
  audience: [AUDIENCE],
  algorithms: [ALG],
  clockToleranceMs: 0,
  typ: undefined,
  signatures: 'sync',
};
const publicKey = createPublicKey({ key: issuer.jwks.keys[0] as never, format: 'jwk' });
const cryptoKey = ALG === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
const require = createRequire(import.meta.url);
const { createVerifier } = require(process.env.FAST_JWT ?? 'fast-jwt') as typeof import('fast-jwt');
const fastJwt = createVerifier({
  key: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  algorithms: [ALG],
  allowedIss: issuer.url,
  allowedAud: AUDIENCE,
  requiredClaims: ['exp'],
  cache: false,
});
const authOptions = {
  issuerUrl: issuer.url,
  audience: AUDIENCE,
  algorithms: [ALG],
  accessPolicyClaim: 'sub',
  accessPolicyRegex: REGEX,
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
};

type Verify = (token: string, header: string) => unknown;
/** Each stage adds the next step of authenticate's path; each round starts with empty caches. */
const stages: Array<[string, () => Promise<Verify>]> = [
  ['crypto.verify (floor)', async () => (token) => {
    const dot = token.lastIndexOf('.');
    return cryptoVerify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), cryptoKey, Buffer.from(token.slice(dot + 1), 'base64url'));
  }],
  ['fast-jwt, no cache', async () => (token) => fastJwt(token)],
  ['verifyToken', async () => (token) => verifyToken(token, rules)],
  ['+ shape check, entry', async () => {
    const names = new PolicyNameMemo(regexEngine().compile(REGEX));
    return (token) => {
      checkTokenShape(token);
      return tokenEntryOf(verifyToken(token, rules) as VerifiedToken, 'sub', names);
    };
  }],
  ['+ token cache', async () => {
    const names = new PolicyNameMemo(regexEngine().compile(REGEX));
    const cache = new TokenCache<TokenEntry>({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, ttlMs: 600_000 });
    return (token) => {
      cache.get(token, Date.now());
      return cache.verify(token, () => {
        checkTokenShape(token);
        return tokenEntryOf(verifyToken(token, rules) as VerifiedToken, 'sub', names);
      });
    };
  }],
  ['authenticate', async () => {
    const auth = createAuthenticator(authOptions);
    await auth.ready();
    return (_token, header) => auth.authenticate({ authorization: header });
  }],
];

const tokens = await mint(PER_ROUND * stages.length, 'c');
const headers = new Map(tokens.map((token) => [token, flat(`Bearer tenant-1:${token}`)]));
const warm = await mint(500, 'w');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function run(verify: Verify, list: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const token of list) {
    const answer = verify(token, headers.get(token) ?? flat(`Bearer tenant-1:${token}`));
    if (answer instanceof Promise) await answer;
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / list.length;
}

for (const [, create] of stages) await run(await create(), warm);
const samples = new Map<string, number[]>(stages.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? stages : [...stages].reverse();
  for (const [name, create] of order) {
    // A rotating slice: no stage sees the same tokens two rounds running.
    const slot = (round + stages.findIndex(([other]) => other === name)) % stages.length;
    const verify = await create();
    gc();
    samples.get(name)?.push(await run(verify, tokens.slice(slot * PER_ROUND, (slot + 1) * PER_ROUND)));
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const floor = samples.get('crypto.verify (floor)') ?? [];
const peer = samples.get('fast-jwt, no cache') ?? [];
console.log(`${ALG}, ${PER_ROUND} distinct tokens per stage and round, ${ROUNDS} rounds, one caller (${process.version})`);
console.log('| stage | µs per token (median) | vs `crypto.verify` | vs fast-jwt |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, values] of samples) {
  const ratio = (reference: number[]) => median(values.map((value, index) => (reference[index] ?? Number.NaN) / value)).toFixed(2);
  console.log(`| ${name} | ${median(values).toFixed(2)} | ${ratio(floor)}x | ${ratio(peer)}x |`);
}
lifetime.abort();
await issuer.close();
