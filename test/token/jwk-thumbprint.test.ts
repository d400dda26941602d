/**
 * RFC 7638 thumbprints against the RFC's own example and against jose's
 * `calculateJwkThumbprint`, for every key type a DPoP proof may carry.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/token/jwk-thumbprint.js';

/** RFC 7638 §3.1. */
const RFC_7638_KEY = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKR' +
    'XjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAt' +
    'aSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPk' +
    'sINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

async function publicJwk(alg: string, options: { crv?: string } = {}): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return exportJWK(publicKey);
}

describe('jwkThumbprint', () => {
  it('gives the RFC 7638 §3.1 example value', () => {
    expect(jwkThumbprint(RFC_7638_KEY)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each([
    ['RSA', 'RS256', {}],
    ['EC P-256', 'ES256', {}],
    ['EC P-384', 'ES384', {}],
    ['EC P-521', 'ES512', {}],
    ['OKP Ed25519', 'EdDSA', { crv: 'Ed25519' }],
  ])('agrees with jose for an %s key', async (_name, alg, options) => {
    for (let round = 0; round < 3; round += 1) {
      const jwk = await publicJwk(alg, options);
      expect(jwkThumbprint(jwk as Record<string, unknown>)).toBe(await calculateJwkThumbprint(jwk));
    }
  });

  it('ignores optional and private members and member order', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const full = await exportJWK(privateKey);
    const { kty, crv, x, y } = full;
    const reordered = { y, x, use: 'sig', kid: 'k1', alg: 'ES256', crv, kty };
    const expected = jwkThumbprint({ kty, crv, x, y });
    expect(jwkThumbprint(full as Record<string, unknown>)).toBe(expected);
    expect(jwkThumbprint(reordered)).toBe(expected);
    expect(expected).toBe(await calculateJwkThumbprint({ kty, crv, x, y }));
  });

  it('refuses an unsupported or missing kty', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toThrow(/key type/);
    expect(() => jwkThumbprint({ n: 'AQAB', e: 'AQAB' })).toThrow(/key type/);
    expect(() => jwkThumbprint({ kty: 'toString', x: 'AA' })).toThrow(/key type/);
  });

  it.each([
    ['RSA without n', { kty: 'RSA', e: 'AQAB' }, 'n'],
    ['RSA with a numeric e', { kty: 'RSA', e: 65537, n: 'AQAB' }, 'e'],
    ['EC without y', { kty: 'EC', crv: 'P-256', x: 'AA' }, 'y'],
    ['EC with a non-string crv', { kty: 'EC', crv: 256, x: 'AA', y: 'AA' }, 'crv'],
    ['OKP without x', { kty: 'OKP', crv: 'Ed25519' }, 'x'],
  ])('refuses %s, naming the member', (_name, jwk, member) => {
    expect(() => jwkThumbprint(jwk)).toThrow(`"${member}"`);
  });

  it('never puts a member value in its message', () => {
    const secret = 'value-that-must-not-leak';
    try {
      jwkThumbprint({ kty: 'EC', crv: secret, x: secret });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain(secret);
    }
  });
});
