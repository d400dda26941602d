/**
 * DPoP proof checks (RFC 9449 §4.3) on real proofs signed with jose: each algorithm accepted,
 * and one refusal per check, built so that only that check can catch it (the test fails if
 * the check is removed). Every refusal is `invalid_dpop_proof`, names its check and echoes
 * nothing of the proof.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/base/errors.js';
import { checkDpopProof, DPOP_ALGORITHMS, normalizeHtu, type DpopRequest } from '../../src/token/dpop-proof.js';
import {
  ACCESS_TOKEN, athOf, flippedSignature, joseProof, NOW, nonCanonicalTwin, PROOF_ALGORITHMS, proofClaims, proofKey,
  rawProof, REQUEST, RULES, segment, segments, type ProofAlgorithm, type ProofKey,
} from './dpop-fixtures.js';

const keys = new Map<ProofAlgorithm, ProofKey>();
const key = (alg: ProofAlgorithm): ProofKey => keys.get(alg) as ProofKey;
let otherEs256: ProofKey;

beforeAll(async () => {
  for (const alg of PROOF_ALGORITHMS) keys.set(alg, await proofKey(alg));
  otherEs256 = await proofKey('ES256');
});

/** The proof is refused with `invalid_dpop_proof`, for the reason `pattern` names, leaking nothing. */
function expectRefused(proof: string, pattern: RegExp, request: DpopRequest = REQUEST, rules = RULES): void {
  let caught: unknown;
  try {
    checkDpopProof(proof, request, rules);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AuthError);
  const error = caught as AuthError;
  expect(error.code).toBe('invalid_dpop_proof');
  expect(error.status).toBe(401);
  expect(error.message).toMatch(pattern);
  const claims = proofClaims();
  const leaks = [...segments(proof), ACCESS_TOKEN, athOf(ACCESS_TOKEN), REQUEST.url, 'api.example.com', String(claims.jti)];
  for (const value of leaks) if (value.length >= 8) expect(error.message).not.toContain(value);
}

const accept = (proof: string, request: DpopRequest = REQUEST, rules = RULES) => checkDpopProof(proof, request, rules);

describe('checkDpopProof accepts', () => {
  it.each(PROOF_ALGORITHMS)('a valid %s proof, with its thumbprint, jti and replay window', async (alg) => {
    const jti = randomUUID();
    const checked = accept(await joseProof(key(alg), { claims: proofClaims({ jti }) }));
    expect(checked.jkt).toBe(await calculateJwkThumbprint(key(alg).jwk));
    expect(checked.jti).toBe(jti);
    expect(checked.rememberUntilMs).toBe(NOW * 1000 + 65_000);
  });

  it('typ compared as a media type: case-insensitive, application/ implied', async () => {
    for (const typ of ['DPoP+JWT', 'application/dpop+jwt', 'Application/DPOP+jwt']) {
      expect(accept(await joseProof(key('ES256'), { header: { typ } })).jti).toBeTypeOf('string');
    }
  });

  it('a jwk with a kid, a matching alg and use sig, and a jti of exactly 256 characters', async () => {
    const jwk = { ...key('ES256').jwk, kid: 'k1', alg: 'ES256', use: 'sig' };
    expect(accept(await joseProof(key('ES256'), { header: { jwk }, claims: proofClaims({ jti: 'j'.repeat(256) }) })).jti).toHaveLength(256);
  });

  it('iat on both edges of the window', async () => {
    for (const iat of [NOW - 65, NOW + 5, NOW - 64.5, NOW + 4.999]) {
      const checked = accept(await joseProof(key('ES256'), { claims: proofClaims({ iat }) }));
      expect(checked.rememberUntilMs).toBe(iat * 1000 + 65_000);
    }
  });

  it('an htu equal to the request URL once normalized', async () => {
    const proof = await joseProof(key('ES256'), { claims: proofClaims({ htu: 'https://API.Example.COM:443/v1/push?x=1#top' }) });
    for (const url of ['https://api.example.com/v1/push', 'HTTPS://api.example.com:443/v1/push?page=2#frag', 'https://api.example.com/v1/./push']) {
      expect(accept(proof, { ...REQUEST, url }).jti).toBeTypeOf('string');
    }
  });
});

describe('checkDpopProof refuses', () => {
  it('a proof over 8 KiB, though valid otherwise', async () => {
    const sized = async (pad: number) => joseProof(key('ES256'), { claims: proofClaims({ pad: 'x'.repeat(pad) }) });
    let pad = Math.floor(((8192 - (await sized(0)).length) * 3) / 4);
    while ((await sized(pad)).length <= 8192) pad += 1;
    const justOver = await sized(pad);
    // base64url skips lengths of 4n + 1: just over is 8193 or 8194 characters.
    expect(justOver.length).toBeLessThanOrEqual(8194);
    expectRefused(justOver, /too long/);
    const atMost = await sized(pad - 1);
    expect(atMost.length).toBeGreaterThanOrEqual(8191);
    expect(accept(atMost).jti).toBeTypeOf('string');
  });

  it('anything but three segments', async () => {
    const [header, payload, signature] = segments(await joseProof(key('ES256')));
    for (const proof of [`${header}.${payload}`, `${header}.${payload}.${signature}.${signature}`, `${header}.${payload}.`, `.${payload}.${signature}`]) {
      expectRefused(proof, /compact JWS in canonical base64url/);
    }
  });

  it('non-canonical base64url: spare bits set, padding, characters outside the alphabet', async () => {
    const proof = await joseProof(key('ES256'));
    expectRefused(nonCanonicalTwin(proof), /canonical base64url/);
    expectRefused(`${proof}=`, /canonical base64url/);
    const [header, payload, signature] = segments(proof);
    const standard = Buffer.from(signature, 'base64url').toString('base64');
    expectRefused(`${header}.${payload}.${standard}`, /canonical base64url/);
  });

  it('a header that is not a JSON object', async () => {
    const [, payload, signature] = segments(await joseProof(key('ES256')));
    expectRefused(`${segment(['dpop+jwt'])}.${payload}.${signature}`, /header is not a JSON object/);
    expectRefused(`${Buffer.from('{"typ":').toString('base64url')}.${payload}.${signature}`, /header is not a JSON object/);
  });

  it('a typ other than dpop+jwt, or none', async () => {
    for (const typ of ['jwt', 'at+jwt', 'dpop+jwt; x=1', undefined]) {
      expectRefused(await joseProof(key('ES256'), { header: { typ } }), /typ is not dpop\+jwt/);
    }
  });

  it('alg none', () => {
    const { jwk } = key('ES256');
    expectRefused(`${segment({ alg: 'none', typ: 'dpop+jwt', jwk })}.${segment(proofClaims())}.AAAA`, /algorithm is not allowed/);
  });

  it('HS256, even when the allow-list names it', async () => {
    const proof = await joseProof(key('ES256'), { header: { alg: 'HS256' }, signer: new Uint8Array(32).fill(7) });
    expectRefused(proof, /algorithm is not allowed/, REQUEST, { ...RULES, algorithms: [...DPOP_ALGORITHMS, 'HS256'] });
  });

  it('an algorithm the rules do not allow', async () => {
    expectRefused(await joseProof(key('ES384')), /algorithm is not allowed/, REQUEST, { ...RULES, algorithms: ['ES256'] });
  });

  it('a crit header', () => {
    const { jwk, privateKey } = key('ES256');
    const proof = rawProof('ES256', privateKey, { alg: 'ES256', typ: 'dpop+jwt', jwk, crit: ['b64'], b64: true }, proofClaims());
    expectRefused(proof, /crit header/);
  });

  it('no jwk, or a jwk that is not an object', async () => {
    expectRefused(await joseProof(key('ES256'), { header: { jwk: undefined } }), /no jwk header/);
    expectRefused(await joseProof(key('ES256'), { header: { jwk: [key('ES256').jwk] } }), /no jwk header/);
  });

  it('a private jwk (with d), even after its public half was accepted', async () => {
    const k = key('ES256');
    const withD = { ...k.jwk, d: k.privateJwk.d };
    expect(accept(await joseProof(k)).jkt).toBeTypeOf('string');
    expectRefused(await joseProof(k, { header: { jwk: withD } }), /not a usable public key \(private key material\)/);
    expectRefused(await joseProof(k, { header: { jwk: k.privateJwk } }), /private key material/);
  });

  it('a jwk for encryption, or stating another alg, even after its bare form was accepted', async () => {
    const k = key('ES256');
    expect(accept(await joseProof(k)).jkt).toBeTypeOf('string');
    expectRefused(await joseProof(k, { header: { jwk: { ...k.jwk, use: 'enc' } } }), /not a usable public key/);
    expectRefused(await joseProof(k, { header: { jwk: { ...k.jwk, alg: 'ES384' } } }), /does not fit its signing algorithm/);
  });

  it('a jwk of another type than the alg', async () => {
    const proof = await joseProof(key('RS256'), { header: { jwk: key('ES256').jwk } });
    expectRefused(proof, /does not fit its signing algorithm/);
    expectRefused(await joseProof(key('ES384'), { header: { jwk: key('ES256').jwk } }), /does not fit/);
  });

  it('an RSA key under 2048 bits', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' });
    expectRefused(rawProof('RS256', privateKey, { alg: 'RS256', typ: 'dpop+jwt', jwk }, proofClaims()), /under 2048 bits/);
  });

  it.each(PROOF_ALGORITHMS)('a %s signature by another key, or altered', async (alg) => {
    const other = alg === 'ES256' ? otherEs256 : await proofKey(alg);
    expectRefused(await joseProof(key(alg), { signer: other.privateKey }), /signature is invalid/);
    expectRefused(flippedSignature(await joseProof(key(alg))), /signature is invalid/);
  });

  it('a payload that is not a JSON object', () => {
    const { jwk, privateKey } = key('ES256');
    expectRefused(rawProof('ES256', privateKey, { alg: 'ES256', typ: 'dpop+jwt', jwk }, [proofClaims()]), /payload is not a JSON object/);
  });

  it('a missing, empty, non-string or oversize jti', async () => {
    for (const jti of [undefined, '', 42, 'j'.repeat(257)]) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ jti }) }), /no jti of 1 to 256 characters/);
    }
  });

  it('an htm other than the request method, compared exactly', async () => {
    for (const htm of ['GET', 'post', ' POST', undefined, ['POST']]) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ htm }) }), /htm does not match the request method/);
    }
  });

  it('an htu with another scheme, host, port or path, or that is no http(s) URL', async () => {
    const htus = [
      'http://api.example.com/v1/push',
      'https://evil.example.com/v1/push',
      'https://api.example.com:8443/v1/push',
      'https://api.example.com/v1/push/',
      'https://api.example.com/v1/Push',
      'https://user@api.example.com/v1/push',
      'wss://api.example.com/v1/push',
      '/v1/push',
      undefined,
    ];
    for (const htu of htus) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ htu }) }), /htu does not match the request URL/);
    }
  });

  it('an htu when the request URL itself does not normalize', async () => {
    const proof = await joseProof(key('ES256'), { claims: proofClaims({ htu: '/v1/push' }) });
    expectRefused(proof, /htu does not match/, { ...REQUEST, url: '/v1/push' });
  });

  it('a stale iat, an iat beyond the tolerance ahead, or none', async () => {
    for (const iat of [NOW - 65.001, NOW - 3600, NOW + 5.001, NOW + 3600]) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ iat }) }), /expired or is not yet valid \(iat\)/);
    }
    for (const iat of [undefined, String(NOW), null]) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ iat }) }), /no numeric iat/);
    }
  });

  it('a missing ath, or the ath of another token', async () => {
    for (const ath of [undefined, athOf(`${ACCESS_TOKEN}x`), athOf(ACCESS_TOKEN).toUpperCase(), 7]) {
      expectRefused(await joseProof(key('ES256'), { claims: proofClaims({ ath }) }), /ath does not match the access token/);
    }
  });

  it('a header or payload that is not UTF-8', () => {
    const { jwk, privateKey } = key('ES256');
    const proof = rawProof('ES256', privateKey, { alg: 'ES256', typ: 'dpop+jwt', jwk }, proofClaims());
    const [, payload, signature] = segments(proof);
    expectRefused(`${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${payload}.${signature}`, /header is not valid UTF-8/);
  });
});

describe('normalizeHtu', () => {
  it.each([
    ['https://API.example.com:443/a/b?q=1#f', 'https://api.example.com/a/b'],
    ['HTTP://example.com:80', 'http://example.com/'],
    ['http://example.com:8080/a/../b', 'http://example.com:8080/b'],
    ['https://[::1]:8443/x', 'https://[::1]:8443/x'],
  ])('%s is %s', (url, normalized) => {
    expect(normalizeHtu(url)).toBe(normalized);
  });

  it.each(['', '/relative', 'ftp://example.com/a', 'https://u:p@example.com/', 'https://u@example.com/', 'not a url'])('%j is undefined', (url) => {
    expect(normalizeHtu(url)).toBeUndefined();
  });
});

describe('checkDpopProof remembers what repeats, never what it must check each time', () => {
  it('a header checked before still meets each caller allow-list, and a signature is always checked', async () => {
    const proof = await joseProof(key('ES384'));
    expect(accept(proof).jkt).toBe(await calculateJwkThumbprint(key('ES384').jwk));
    // The same header again, now from a caller that does not allow ES384.
    expectRefused(await joseProof(key('ES384')), /signing algorithm is not allowed/, REQUEST, { ...RULES, algorithms: ['ES256'] });
    // The same header with another signature: the memo holds the key, not the verdict.
    expectRefused(flippedSignature(await joseProof(key('ES384'))), /signature/);
  });

  it('a header refused once is refused again, and the request URL and token hash are judged per request', async () => {
    const privateHeader = { header: { jwk: key('ES256').privateJwk } };
    for (let attempt = 0; attempt < 2; attempt += 1) expectRefused(await joseProof(key('ES256'), privateHeader), /jwk/);
    const proof = () => joseProof(key('ES256'));
    accept(await proof());
    expectRefused(await proof(), /htu/, { ...REQUEST, url: 'https://api.example.com/v1/other' });
    expectRefused(await proof(), /ath/, { ...REQUEST, accessToken: `${ACCESS_TOKEN}x` });
  });

  it('gives a window end in whole milliseconds, rounded up, for an iat with a fraction', async () => {
    const checked = accept(await joseProof(key('ES256'), { claims: proofClaims({ iat: NOW - 0.0004 }) }));
    expect(Number.isInteger(checked.rememberUntilMs)).toBe(true);
    expect(checked.rememberUntilMs).toBe(NOW * 1000 + 65_000);
  });
});
