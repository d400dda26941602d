/**
 * The attack corpus for token verification (DESIGN.md items 3, 4a, 10, 11, 19, 20), run
 * through the public API against a real local issuer over HTTP.
 *
 * Every rejection is checked by {@link expectRejected}: the error is an `AuthError` with
 * the exact code and status, and neither its message nor its challenge contains the
 * token, one of its segments, the kid or a claim value.
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  createAuthenticator,
  type AuthenticatorOptions,
  type AuthErrorCode,
  type Authenticator,
  type AuthResult,
} from '../../src/index.js';
import { createTestIssuer, type TestAlgorithm, type TestIssuer } from '../../src/testing.js';

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/** Distinctive enough that finding it in an error message can only mean a leak. */
const SUBJECT = `subject-${randomBytes(6).toString('hex')}`;
const TENANT = 't1';

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
const segment = (json: unknown): string => b64(JSON.stringify(json));
const now = (): number => Math.floor(Date.now() / 1000);

function split(token: string): [string, string, string] {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) {
    throw new Error('not a three-segment token');
  }
  return [header, payload, signature];
}

function withSignature(token: string, signature: string): string {
  const [header, payload] = split(token);
  return `${header}.${payload}.${signature}`;
}

function signatureBytes(token: string): Buffer {
  return Buffer.from(split(token)[2], 'base64url');
}

/** The options the brief asks for, with a store that grants every extracted name on every tenant. */
function authOptions(issuerUrl: string | string[], audience: string | false, extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions {
  return {
    issuerUrl,
    audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '(.*)',
    // A permissive store so that a token that gets through verification is *accepted*
    // (an empty record would turn every verified token into 403 policy_not_found and
    // hide a forged token behind a 403).
    accessPolicies: async (names: string[]) => names.map((name) => ({ name, scopes: ['api:read'], realms: [{ tenant: '*' }] })),
    ...extra,
  };
}

function authenticate(auth: Authenticator, token: string): Promise<AuthResult> {
  return auth.authenticate({ authorization: `Bearer ${TENANT}:${token}` });
}

function parseSegment(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What must never appear in an error: the token, its segments, the kid, claim values. */
function secretsOf(token: string): string[] {
  const secrets = new Set<string>([token]);
  const segments = token.split('.');
  for (const part of segments) if (part.length >= 8) secrets.add(part);
  const header = parseSegment(segments[0]);
  if (typeof header === 'object' && header !== null && !Array.isArray(header)) {
    const { kid } = header as Record<string, unknown>;
    if (typeof kid === 'string' && kid !== '') secrets.add(kid);
    else if (typeof kid === 'number') secrets.add(String(kid));
    else if (typeof kid === 'object' && kid !== null) secrets.add(JSON.stringify(kid));
  }
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.length >= 4) secrets.add(value);
    } else if (typeof value === 'number') {
      if (Number.isFinite(value) && Math.abs(value) >= 1000) secrets.add(String(value));
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(visit);
    }
  };
  visit(parseSegment(segments[1]));
  return [...secrets];
}

/** Asserts an exact refusal, that it is an AuthError, and that it leaks nothing. */
async function expectRejected(auth: Authenticator, token: string, code: AuthErrorCode, status: number): Promise<AuthError> {
  let caught: unknown;
  let accepted: AuthResult | undefined;
  try {
    accepted = await authenticate(auth, token);
  } catch (error) {
    caught = error;
  }
  expect(accepted, 'the token must not be accepted').toBeUndefined();
  expect(caught).toBeInstanceOf(AuthError);
  const error = caught as AuthError;
  expect({ code: error.code, status: error.status }).toEqual({ code, status });
  expect(error.message).not.toBe('');
  for (const secret of secretsOf(token)) {
    expect(error.message).not.toContain(secret);
    expect(error.wwwAuthenticate).not.toContain(secret);
  }
  return error;
}

async function expectAccepted(auth: Authenticator, token: string, issuerUrl: string): Promise<AuthResult> {
  const result = await authenticate(auth, token);
  expect(result.token).toBe(token);
  expect(result.tenant).toBe(TENANT);
  expect(result.claims.iss).toBe(issuerUrl);
  expect(result.subject).toBe(SUBJECT);
  return result;
}

/** A hand-made JWS: header and payload as given, signature as given (base64url text). */
function rawToken(header: unknown, payload: unknown, signature: string): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

/** The claims the test issuer would put in, for hand-made tokens. */
function claimsFor(issuer: TestIssuer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const issuedAt = now();
  return { iss: issuer.url, aud: issuer.audience, sub: SUBJECT, iat: issuedAt, exp: issuedAt + 300, ...extra };
}

/** JSON object text from raw member texts, so numbers such as `1e400` survive as written. */
function jsonText(members: Record<string, string>): string {
  return `{${Object.entries(members)
    .map(([name, value]) => `${JSON.stringify(name)}:${value}`)
    .join(',')}}`;
}

function rawClaims(issuer: TestIssuer, overrides: Record<string, string>): string {
  const issuedAt = now();
  return jsonText({
    iss: JSON.stringify(issuer.url),
    aud: JSON.stringify(issuer.audience),
    sub: JSON.stringify(SUBJECT),
    iat: String(issuedAt),
    exp: String(issuedAt + 300),
    ...overrides,
  });
}

function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', kid: string | undefined, claims: Record<string, unknown>, secret: string | Buffer): string {
  const signingInput = `${segment({ alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) })}.${segment(claims)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

async function signWith(key: CryptoKey, header: Record<string, unknown> & { alg: string }, claims: unknown): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header).sign(key);
}

/** An ASN.1 DER ECDSA-Sig-Value from a JOSE (IEEE P1363, r || s) signature. */
function p1363ToDer(signature: Uint8Array): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    let body = Buffer.from(bytes.subarray(start));
    if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const sequence = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, sequence.length]), sequence]);
}

function firstKey(issuer: TestIssuer): JWK & { kid: string } {
  const [jwk] = issuer.jwks.keys;
  if (jwk === undefined || typeof jwk.kid !== 'string') throw new Error('the test issuer publishes no key');
  return { ...jwk, kid: jwk.kid };
}

interface RejectCase {
  name: string;
  token: () => string | Promise<string>;
  code: AuthErrorCode;
  status: 400 | 401 | 403 | 503;
}

interface AcceptCase {
  name: string;
  token: () => string | Promise<string>;
}

// ---------------------------------------------------------------------------------------
// One RS256 issuer: the bulk of the corpus
// ---------------------------------------------------------------------------------------

describe('token verification attacks (RS256 issuer)', () => {
  let issuer: TestIssuer;
  let auth: Authenticator;
  let issuerKid: string;
  let publicJwk: JWK & { kid: string };
  let attacker: { privateKey: CryptoKey; publicJwk: JWK };
  let rogue: Server;
  let rogueUrl: string;
  let rogueRequests = 0;
  const closers: Authenticator[] = [];
  /**
   * A key of our own, published in the issuer's JWKS (so trusted), for tokens jose refuses
   * to sign (unknown `crit`, `b64: false` in compact form): signed with node:crypto.
   */
  const handKid = `hand-${randomBytes(4).toString('hex')}`;
  let handKey: KeyObject;
  const handSigned = (header: Record<string, unknown>, payloadSegment: string): string => {
    const signingInput = `${segment({ alg: 'RS256', kid: handKid, ...header })}.${payloadSegment}`;
    return `${signingInput}.${cryptoSign('sha256', Buffer.from(signingInput), handKey).toString('base64url')}`;
  };

  beforeAll(async () => {
    issuer = await createTestIssuer();
    const hand = generateKeyPairSync('rsa', { modulusLength: 2048 });
    handKey = hand.privateKey;
    issuer.publish({ ...(hand.publicKey.export({ format: 'jwk' }) as JWK), kid: handKid, alg: 'RS256', use: 'sig' });
    auth = createAuthenticator(authOptions(issuer.url, issuer.audience));
    closers.push(auth);
    publicJwk = firstKey(issuer);
    issuerKid = publicJwk.kid;
    const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    attacker = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), alg: 'RS256', use: 'sig' } };
    // A server an attacker controls: it would hand out the attacker's key if ever asked.
    rogue = createServer((request, response) => {
      rogueRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [{ ...attacker.publicJwk, kid: 'rogue' }] }));
    });
    await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', () => resolve()));
    rogueUrl = `http://127.0.0.1:${(rogue.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const each of closers) await each.close();
    await issuer?.close();
    rogue?.closeAllConnections();
    await new Promise<void>((resolve) => (rogue === undefined ? resolve() : rogue.close(() => resolve())));
  });

  const authWith = (extra: Partial<AuthenticatorOptions>): Authenticator => {
    const made = createAuthenticator(authOptions(issuer.url, issuer.audience, extra));
    closers.push(made);
    return made;
  };

  it('accepts a good RS256 token (the harness works)', async () => {
    const token = await issuer.sign({ sub: SUBJECT });
    const result = await expectAccepted(auth, token, issuer.url);
    expect(result.policyNames).toEqual([SUBJECT]);
    expect(result.expiresAt.getTime()).toBe((result.claims.exp as number) * 1000);
  });

  describe('alg none and friends', () => {
    const junk = b64(randomBytes(32));
    const cases: RejectCase[] = [];
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      cases.push({
        name: `alg ${alg} with an empty signature (not a compact JWS)`,
        token: () => rawToken({ alg, typ: 'JWT' }, claimsFor(issuer), ''),
        code: 'invalid_token',
        status: 401,
      });
      cases.push({
        name: `alg ${alg} with a junk signature`,
        token: () => rawToken({ alg, typ: 'JWT' }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      });
      cases.push({
        name: `alg ${alg} with the issuer's kid and a junk signature`,
        token: () => rawToken({ alg, typ: 'JWT', kid: issuerKid }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      });
    }
    cases.push(
      {
        name: 'no alg at all',
        token: () => rawToken({ typ: 'JWT', kid: issuerKid }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      },
      {
        name: 'alg as an array',
        token: () => rawToken({ alg: ['RS256'], kid: issuerKid }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      },
      {
        name: 'alg in lower case (rs256)',
        token: () => rawToken({ alg: 'rs256', kid: issuerKid }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      },
      {
        name: 'alg with a trailing space',
        token: () => rawToken({ alg: 'RS256 ', kid: issuerKid }, claimsFor(issuer), junk),
        code: 'algorithm_not_allowed',
        status: 401,
      },
      {
        name: 'alg ES256 naming the RSA key (key/alg confusion)',
        token: () => rawToken({ alg: 'ES256', kid: issuerKid }, claimsFor(issuer), b64(randomBytes(64))),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: 'alg EdDSA naming the RSA key (key/alg confusion)',
        token: () => rawToken({ alg: 'EdDSA', kid: issuerKid }, claimsFor(issuer), b64(randomBytes(64))),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: 'a header that is a JSON array',
        token: () => `${b64('[]')}.${segment(claimsFor(issuer))}.${junk}`,
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'a header that is not JSON',
        token: () => `${b64('{"alg":"RS256"')}.${segment(claimsFor(issuer))}.${junk}`,
        code: 'invalid_token',
        status: 401,
      },
    );
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });
  });

  describe('HMAC signed with the public key as the secret (key confusion)', () => {
    const cases: RejectCase[] = [];
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      const secrets: Array<[string, () => string | Buffer]> = [
        ['the SPKI PEM', () => createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string],
        ['the PKCS#1 PEM', () => createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }) as string],
        ['the JWK as JSON', () => JSON.stringify(publicJwk)],
        ['the raw modulus bytes', () => Buffer.from(String(publicJwk.n), 'base64url')],
      ];
      for (const [form, secret] of secrets) {
        for (const withKid of [true, false]) {
          cases.push({
            name: `${alg} with ${form} as secret, ${withKid ? 'with' : 'without'} kid`,
            token: () => hmacToken(alg, withKid ? issuerKid : undefined, claimsFor(issuer), secret()),
            code: 'algorithm_not_allowed',
            status: 401,
          });
        }
      }
    }
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });
  });

  describe('tampered signatures', () => {
    const good = () => issuer.sign({ sub: SUBJECT });
    const cases: RejectCase[] = [
      { name: 'empty signature segment', token: async () => withSignature(await good(), ''), code: 'invalid_token', status: 401 },
      {
        name: 'signature with its last byte cut',
        token: async () => withSignature(await good(), b64(signatureBytes(await good()).subarray(0, -1))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'signature with a byte added',
        token: async () => withSignature(await good(), b64(Buffer.concat([signatureBytes(await good()), Buffer.from([0])]))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'signature with its first byte flipped',
        token: async () => {
          const token = await good();
          const bytes = signatureBytes(token);
          bytes[0] = (bytes[0] ?? 0) ^ 0x01;
          return withSignature(token, b64(bytes));
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'signature with a character in the middle changed',
        token: async () => {
          const token = await good();
          const signature = split(token)[2];
          const middle = Math.floor(signature.length / 2);
          const replacement = signature[middle] === 'A' ? 'B' : 'A';
          return withSignature(token, signature.slice(0, middle) + replacement + signature.slice(middle + 1));
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'random signature bytes of the right length',
        token: async () => withSignature(await good(), b64(randomBytes(256))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'all-zero signature of the right length',
        token: async () => withSignature(await good(), b64(Buffer.alloc(256))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'a one-byte signature',
        token: async () => withSignature(await good(), 'AA'),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'payload swapped under a valid signature',
        token: async () => {
          const [header, , signature] = split(await good());
          return `${header}.${segment(claimsFor(issuer, { sub: `${SUBJECT}-admin` }))}.${signature}`;
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'header swapped under a valid signature (kid removed)',
        token: async () => {
          const [, payload, signature] = split(await good());
          return `${segment({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`;
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        // Same signature bytes, another spelling: the last character's unused low bits set.
        name: 'signature with non-zero padding bits (non-canonical base64url)',
        token: async () => {
          const token = await good();
          const signature = split(token)[2];
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const last = alphabet.indexOf(signature.at(-1) ?? '');
          const twin = signature.slice(0, -1) + (alphabet[last ^ 1] ?? '');
          expect(Buffer.from(twin, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
          return withSignature(token, twin);
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'padded base64 signature (=)',
        token: async () => `${await good()}=`,
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'standard-base64 characters in the signature (+ and /)',
        token: async () => withSignature(await good(), signatureBytes(await good()).toString('base64').replace(/=+$/, '') + '+/'),
        code: 'invalid_token',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });
  });

  describe('keys from the token header are never used', () => {
    const cases: RejectCase[] = [
      {
        name: "embedded jwk (attacker's key), no kid",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', jwk: attacker.publicJwk }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "embedded jwk (attacker's key) with the attacker's kid",
        token: () =>
          signWith(attacker.privateKey, { alg: 'RS256', kid: 'attacker-kid-1', jwk: { ...attacker.publicJwk, kid: 'attacker-kid-1' } }, claimsFor(issuer)),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: "embedded jwk (attacker's key) with the issuer's kid",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', kid: issuerKid, jwk: { ...attacker.publicJwk, kid: issuerKid } }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "jku to the attacker's server, no kid",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', jku: `${rogueUrl}/jwks.json` }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "jku to the attacker's server with the kid it serves",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', kid: 'rogue', jku: `${rogueUrl}/jwks.json` }, claimsFor(issuer)),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: "jku to the attacker's server with the issuer's kid",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', kid: issuerKid, jku: `${rogueUrl}/jwks.json` }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "x5u to the attacker's server",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', x5u: `${rogueUrl}/cert.pem` }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "x5u to the attacker's server with the issuer's kid",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', kid: issuerKid, x5u: `${rogueUrl}/cert.pem` }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'x5c with a junk certificate',
        token: () => signWith(attacker.privateKey, { alg: 'RS256', x5c: [b64(randomBytes(300)).replace(/[-_]/g, 'A')] }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'x5c with a junk certificate and the issuer kid',
        token: () => signWith(attacker.privateKey, { alg: 'RS256', kid: issuerKid, x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: "a different key claiming the issuer's kid (mismatched key material)",
        token: () => signWith(attacker.privateKey, { alg: 'RS256', typ: 'JWT', kid: issuerKid }, claimsFor(issuer)),
        code: 'invalid_token',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    const accepted: AcceptCase[] = [
      { name: 'jku', token: () => issuer.sign({ sub: SUBJECT }, { header: { jku: `${rogueUrl}/jwks.json` } }) },
      { name: 'x5u', token: () => issuer.sign({ sub: SUBJECT }, { header: { x5u: `${rogueUrl}/cert.pem` } }) },
      { name: 'x5c (junk)', token: () => issuer.sign({ sub: SUBJECT }, { header: { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A'] } }) },
      { name: "jwk (the attacker's key)", token: () => issuer.sign({ sub: SUBJECT }, { header: { jwk: attacker.publicJwk } }) },
    ];
    it.each(accepted)('ignores a $name header on a token signed by the real key (accepted)', async ({ token }) => {
      await expectAccepted(auth, await token(), issuer.url);
    });

    it("never contacted the attacker's server (jku / x5u)", async () => {
      // Runs after the cases above (vitest runs a file's tests in order); try once more to be sure.
      await expectRejected(
        auth,
        await signWith(attacker.privateKey, { alg: 'RS256', kid: 'rogue-2', jku: `${rogueUrl}/jwks.json`, x5u: `${rogueUrl}/c.pem` }, claimsFor(issuer)),
        'key_not_found',
        401,
      );
      expect(rogueRequests).toBe(0);
    });
  });

  describe('crit, b64, zip and other serializations', () => {
    const cases: RejectCase[] = [
      {
        name: 'unknown crit extension (crit: ["exp2"])',
        token: () => handSigned({ crit: ['exp2'], exp2: 1 }, segment(claimsFor(issuer))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'empty crit list',
        token: () => handSigned({ crit: [] }, segment(claimsFor(issuer))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'crit naming a registered header (alg)',
        token: () => handSigned({ crit: ['alg'] }, segment(claimsFor(issuer))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'crit that is not an array',
        token: () => handSigned({ crit: 'exp2', exp2: 1 }, segment(claimsFor(issuer))),
        code: 'invalid_token',
        status: 401,
      },
      {
        // The payload bytes are themselves base64url(JSON), so the signing input equals a
        // normal JWS's and the compact form passes the shape check: only b64 stops it.
        name: 'unencoded payload (b64: false, crit: ["b64"])',
        token: () => handSigned({ b64: false, crit: ['b64'] }, segment(claimsFor(issuer))),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'zip: DEF',
        token: () => issuer.sign({ sub: SUBJECT }, { header: { zip: 'DEF' } }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'JWE compact serialization (5 segments)',
        token: () =>
          [segment({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: issuerKid }), b64(randomBytes(256)), b64(randomBytes(12)), b64(randomBytes(64)), b64(randomBytes(16))].join('.'),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'JWE compact with direct encryption (empty key segment)',
        token: () => [segment({ alg: 'dir', enc: 'A256GCM' }), '', b64(randomBytes(12)), b64(randomBytes(64)), b64(randomBytes(16))].join('.'),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'JWS JSON serialization (flattened)',
        token: async () => {
          const [header, payload, signature] = split(await issuer.sign({ sub: SUBJECT }));
          return JSON.stringify({ protected: header, payload, signature });
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'JWS JSON serialization (general)',
        token: async () => {
          const [header, payload, signature] = split(await issuer.sign({ sub: SUBJECT }));
          return JSON.stringify({ payload, signatures: [{ protected: header, signature }] });
        },
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'two segments only',
        token: async () => split(await issuer.sign({ sub: SUBJECT })).slice(0, 2).join('.'),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'four segments',
        token: async () => `${await issuer.sign({ sub: SUBJECT })}.${b64('x')}`,
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'a valid token with a trailing dot',
        token: async () => `${await issuer.sign({ sub: SUBJECT })}.`,
        code: 'invalid_token',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    it('control: the hand-signed key is trusted, so the refusals above come from the headers', async () => {
      await expectAccepted(auth, handSigned({ typ: 'JWT' }, segment(claimsFor(issuer))), issuer.url);
      // b64: true spelled out is the default and harmless.
      await expectAccepted(auth, handSigned({ b64: true }, segment(claimsFor(issuer))), issuer.url);
      // b64 only takes effect when listed in crit (RFC 7797 §6); otherwise it is an ignored
      // member and the bytes are an ordinary JWS, whose payload segment is decoded as usual.
      const plain = await expectAccepted(auth, handSigned({ b64: false }, segment(claimsFor(issuer))), issuer.url);
      expect(plain.claims.sub).toBe(SUBJECT);
    });
  });

  describe('payloads that are not a claims object', () => {
    const cases: RejectCase[] = ['[]', '"x"', 'null', '42', 'true', '{"iss":', '', 'not json'].map((payload) => ({
      name: `payload ${JSON.stringify(payload)} signed with the real key`,
      token: () => issuer.signPayload(payload),
      code: 'invalid_token' as const,
      status: 401 as const,
    }));
    cases.push(
      // The decoder drops a UTF-8 byte-order mark, so this reads as {}: no iss.
      { name: 'payload BOM + {} signed with the real key', token: () => issuer.signPayload('\uFEFF{}'), code: 'issuer_mismatch', status: 401 },
      { name: 'payload {} signed with the real key', token: () => issuer.signPayload('{}'), code: 'issuer_mismatch', status: 401 },
    );
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    it('an empty payload makes an empty middle segment (refused by the shape check)', async () => {
      const made = await issuer.signPayload('');
      expect(split(made)[1]).toBe('');
      await expectRejected(auth, made, 'invalid_token', 401);
    });
  });

  describe('time claims', () => {
    const cases: RejectCase[] = [
      {
        name: 'exp as a string',
        token: () => issuer.sign({ sub: SUBJECT, exp: String(now() + 300) }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp as 1e400 (Infinity once parsed)',
        token: () => issuer.signPayload(rawClaims(issuer, { exp: '1e400' })),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp 1e300 (finite, but beyond any Date)',
        token: () => issuer.sign({ sub: SUBJECT, exp: 1e300 }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp one second beyond the last Date',
        token: () => issuer.sign({ sub: SUBJECT, exp: 8.64e12 + 1 }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp missing',
        token: () => issuer.sign({ sub: SUBJECT }, { expiresIn: null }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp null',
        token: () => issuer.sign({ sub: SUBJECT, exp: null }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'exp in the past (beyond the tolerance)',
        token: () => issuer.sign({ sub: SUBJECT, iat: now() - 600, exp: now() - 120 }),
        code: 'token_expired',
        status: 401,
      },
      {
        name: 'exp as -1e400',
        token: () => issuer.signPayload(rawClaims(issuer, { exp: '-1e400' })),
        code: 'token_expired',
        status: 401,
      },
      {
        name: 'nbf in the future (beyond the 30 s tolerance)',
        token: () => issuer.sign({ sub: SUBJECT, nbf: now() + 120 }),
        code: 'token_not_yet_valid',
        status: 401,
      },
      {
        name: 'nbf as a string',
        token: () => issuer.sign({ sub: SUBJECT, nbf: String(now()) }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'nbf as -1e400',
        token: () => issuer.signPayload(rawClaims(issuer, { nbf: '-1e400' })),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'iat in the future (beyond the tolerance)',
        token: () => issuer.sign({ sub: SUBJECT, iat: now() + 120 }),
        code: 'token_not_yet_valid',
        status: 401,
      },
      {
        name: 'iat as 1e400',
        token: () => issuer.signPayload(rawClaims(issuer, { iat: '1e400' })),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'iat as -1e300',
        token: () => issuer.sign({ sub: SUBJECT, iat: -1e300 }),
        code: 'invalid_token',
        status: 401,
      },
      {
        name: 'iat as a string',
        token: () => issuer.sign({ sub: SUBJECT, iat: String(now()) }),
        code: 'invalid_token',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    const accepted: AcceptCase[] = [
      { name: 'nbf within the tolerance', token: () => issuer.sign({ sub: SUBJECT, nbf: now() + 10 }) },
      { name: 'iat within the tolerance', token: () => issuer.sign({ sub: SUBJECT, iat: now() + 10 }) },
      { name: 'exp just past, within the tolerance', token: () => issuer.sign({ sub: SUBJECT, iat: now() - 60, exp: now() - 5 }) },
      { name: 'no iat at all', token: () => issuer.sign({ sub: SUBJECT, iat: undefined }) },
      { name: 'exp at the last second a Date holds', token: () => issuer.sign({ sub: SUBJECT, exp: 8.64e12 }) },
    ];
    it.each(accepted)('$name is accepted', async ({ token }) => {
      const result = await expectAccepted(auth, await token(), issuer.url);
      expect(Number.isFinite(result.expiresAt.getTime())).toBe(true);
    });
  });

  describe('iss', () => {
    const cases: RejectCase[] = [
      { name: 'iss with a trailing slash', token: () => issuer.sign({ sub: SUBJECT, iss: `${issuer.url}/` }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss in upper case', token: () => issuer.sign({ sub: SUBJECT, iss: issuer.url.toUpperCase() }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss as an array holding ours', token: () => issuer.sign({ sub: SUBJECT, iss: [issuer.url] }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss missing', token: () => issuer.sign({ sub: SUBJECT, iss: undefined }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss null', token: () => issuer.sign({ sub: SUBJECT, iss: null }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss with a path appended', token: () => issuer.sign({ sub: SUBJECT, iss: `${issuer.url}/evil` }), code: 'issuer_mismatch', status: 401 },
      { name: 'iss https instead of http', token: () => issuer.sign({ sub: SUBJECT, iss: issuer.url.replace('http:', 'https:') }), code: 'issuer_mismatch', status: 401 },
      {
        name: 'duplicate iss members, the last one foreign',
        token: () => issuer.signPayload(rawClaims(issuer, { iss: JSON.stringify(issuer.url) }).replace(/}$/, ',"iss":"https://evil.example.com"}')),
        code: 'issuer_mismatch',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    it('duplicate iss members are read the same way for routing and for verification (the last wins)', async () => {
      const payload = jsonText({
        iss: '"https://evil.example.com"',
        aud: JSON.stringify(issuer.audience),
        sub: JSON.stringify(SUBJECT),
        exp: String(now() + 300),
      }).replace(/}$/, `,"iss":${JSON.stringify(issuer.url)}}`);
      await expectAccepted(auth, await issuer.signPayload(payload), issuer.url);
    });
  });

  describe('aud', () => {
    const cases: RejectCase[] = [
      { name: 'aud missing', token: () => issuer.sign({ sub: SUBJECT, aud: undefined }), code: 'audience_mismatch', status: 401 },
      { name: 'aud wrong', token: () => issuer.sign({ sub: SUBJECT, aud: 'another-api' }), code: 'audience_mismatch', status: 401 },
      { name: 'aud in another case', token: () => issuer.sign({ sub: SUBJECT, aud: issuer.audience.toUpperCase() }), code: 'audience_mismatch', status: 401 },
      { name: 'aud an array without ours', token: () => issuer.sign({ sub: SUBJECT, aud: ['another-api', 'third-api'] }), code: 'audience_mismatch', status: 401 },
      { name: 'aud an empty array', token: () => issuer.sign({ sub: SUBJECT, aud: [] }), code: 'audience_mismatch', status: 401 },
      { name: 'aud an object', token: () => issuer.sign({ sub: SUBJECT, aud: { [issuer.audience]: true } }), code: 'audience_mismatch', status: 401 },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    it('accepts an aud array that holds ours', async () => {
      const result = await expectAccepted(auth, await issuer.sign({ sub: SUBJECT, aud: ['another-api', issuer.audience] }), issuer.url);
      expect(result.claims.aud).toEqual(['another-api', issuer.audience]);
    });

    it('audience: false accepts a token without aud (and the default authenticator does not)', async () => {
      const token = await issuer.sign({ sub: SUBJECT, aud: undefined });
      const result = await expectAccepted(authWith({ audience: false }), token, issuer.url);
      expect(result.claims.aud).toBeUndefined();
      await expectRejected(auth, token, 'audience_mismatch', 401);
    });
  });

  describe('hostile kid values', () => {
    const cases: RejectCase[] = [
      {
        name: 'a 10 KB kid',
        token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: 'k'.repeat(10 * 1024) } }),
        code: 'key_not_found',
        status: 401,
      },
      { name: 'a numeric kid', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: 12345 } }), code: 'invalid_token', status: 401 },
      { name: 'an object kid', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: { toString: 'x' } } }), code: 'invalid_token', status: 401 },
      { name: 'an array kid', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: [issuerKid] } }), code: 'invalid_token', status: 401 },
      { name: 'a null kid', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: null } }), code: 'invalid_token', status: 401 },
      { name: 'kid __proto__', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: '__proto__' } }), code: 'key_not_found', status: 401 },
      { name: 'kid constructor', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: 'constructor' } }), code: 'key_not_found', status: 401 },
      { name: 'kid hasOwnProperty', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: 'hasOwnProperty' } }), code: 'key_not_found', status: 401 },
      { name: 'an empty kid', token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: '' } }), code: 'key_not_found', status: 401 },
      {
        name: 'a kid with a path traversal',
        token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: '../../../../etc/passwd' } }),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: 'a kid with SQL',
        token: () => issuer.sign({ sub: SUBJECT }, { header: { kid: "x' UNION SELECT 'secret' --" } }),
        code: 'key_not_found',
        status: 401,
      },
      {
        name: 'a header with an own __proto__ member',
        token: () => issuer.sign({ sub: SUBJECT }, { header: JSON.parse(`{"__proto__":{"alg":"none","kid":"polluted"},"kid":"nope"}`) as Record<string, unknown> }),
        code: 'key_not_found',
        status: 401,
      },
    ];
    it.each(cases)('$name -> $code', async ({ token, code, status }) => {
      await expectRejected(auth, await token(), code, status);
    });

    it('keeps working, and nothing got polluted, after the hostile kids', async () => {
      expect(({} as Record<string, unknown>).kid).toBeUndefined();
      expect(({} as Record<string, unknown>).alg).toBeUndefined();
      await expectAccepted(auth, await issuer.sign({ sub: SUBJECT, jti: randomBytes(4).toString('hex') }), issuer.url);
    });
  });

  describe('typ option (RFC 9068)', () => {
    it('typ: at+jwt refuses a JWT typ and a missing typ, and accepts at+jwt', async () => {
      const strict = authWith({ typ: 'at+jwt' });
      await expectRejected(strict, await issuer.sign({ sub: SUBJECT }), 'invalid_token', 401);
      await expectRejected(strict, await issuer.sign({ sub: SUBJECT }, { header: { typ: undefined } }), 'invalid_token', 401);
      await expectRejected(strict, await issuer.sign({ sub: SUBJECT }, { header: { typ: 'at+jwt+evil' } }), 'invalid_token', 401);
      await expectAccepted(strict, await issuer.sign({ sub: SUBJECT }, { header: { typ: 'at+jwt' } }), issuer.url);
      await expectAccepted(strict, await issuer.sign({ sub: SUBJECT }, { header: { typ: 'application/at+jwt' } }), issuer.url);
    });

    it('without the option, typ is not checked', async () => {
      await expectAccepted(auth, await issuer.sign({ sub: SUBJECT }, { header: { typ: 'at+jwt' } }), issuer.url);
      await expectAccepted(auth, await issuer.sign({ sub: SUBJECT }, { header: { typ: undefined } }), issuer.url);
    });
  });

  describe('algorithm allow-list', () => {
    it('algorithms: [ES256] refuses an RS256 token signed by the real key', async () => {
      const esOnly = authWith({ algorithms: ['ES256'] });
      const token = await issuer.sign({ sub: SUBJECT });
      await expectRejected(esOnly, token, 'algorithm_not_allowed', 401);
      // Same token, default allow-list: accepted, so the refusal came from the list.
      await expectAccepted(auth, token, issuer.url);
    });

    it('algorithms: [PS256] refuses RS256 even though the key is RSA', async () => {
      await expectRejected(authWith({ algorithms: ['PS256'] }), await issuer.sign({ sub: SUBJECT }), 'algorithm_not_allowed', 401);
    });
  });
});

// ---------------------------------------------------------------------------------------
// ECDSA signature encodings
// ---------------------------------------------------------------------------------------

describe('ES256 signature encodings', () => {
  let issuer: TestIssuer;
  let auth: Authenticator;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    auth = createAuthenticator(authOptions(issuer.url, issuer.audience));
  });

  afterAll(async () => {
    await auth?.close();
    await issuer?.close();
  });

  it('accepts the untouched ES256 token (64-byte P1363 signature)', async () => {
    const token = await issuer.sign({ sub: SUBJECT });
    expect(signatureBytes(token)).toHaveLength(64);
    await expectAccepted(auth, token, issuer.url);
  });

  const cases: RejectCase[] = [
    {
      name: 'the valid signature re-encoded as ASN.1 DER',
      token: async () => {
        const token = await issuer.sign({ sub: SUBJECT });
        const der = p1363ToDer(signatureBytes(token));
        expect(der[0]).toBe(0x30);
        return withSignature(token, b64(der));
      },
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'all-zero 64-byte signature (psychic signature, CVE-2022-21449)',
      token: async () => withSignature(await issuer.sign({ sub: SUBJECT }), b64(Buffer.alloc(64))),
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'r = s = 0 in DER',
      token: async () => withSignature(await issuer.sign({ sub: SUBJECT }), b64(Buffer.from('3006020100020100', 'hex'))),
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'r = s = n (the P-256 group order)',
      token: async () => {
        const order = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
        return withSignature(await issuer.sign({ sub: SUBJECT }), b64(Buffer.concat([order, order])));
      },
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'r and s swapped',
      token: async () => {
        const token = await issuer.sign({ sub: SUBJECT });
        const bytes = signatureBytes(token);
        return withSignature(token, b64(Buffer.concat([bytes.subarray(32), bytes.subarray(0, 32)])));
      },
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'a 96-byte (ES384-sized) signature',
      token: async () => withSignature(await issuer.sign({ sub: SUBJECT }), b64(randomBytes(96))),
      code: 'invalid_token',
      status: 401,
    },
    {
      name: 'alg ES384 naming the P-256 key',
      token: async () => {
        const [, payload, signature] = split(await issuer.sign({ sub: SUBJECT }));
        return `${segment({ alg: 'ES384', kid: issuer.kids[0] })}.${payload}.${signature}`;
      },
      code: 'key_not_found',
      status: 401,
    },
  ];
  it.each(cases)('$name -> $code', async ({ token, code, status }) => {
    await expectRejected(auth, await token(), code, status);
  });
});

// ---------------------------------------------------------------------------------------
// Several trusted issuers: routing by the unverified iss, no fetch for a stranger
// ---------------------------------------------------------------------------------------

describe('several trusted issuers', () => {
  let first: TestIssuer;
  let second: TestIssuer;
  let stranger: TestIssuer;
  let auth: Authenticator;

  const fetches = (issuer: TestIssuer): number => issuer.requests.discovery + issuer.requests.jwks;

  beforeAll(async () => {
    first = await createTestIssuer();
    second = await createTestIssuer();
    stranger = await createTestIssuer();
    auth = createAuthenticator(authOptions([first.url, second.url], first.audience));
  });

  afterAll(async () => {
    await auth?.close();
    await first?.close();
    await second?.close();
    await stranger?.close();
  });

  it('a token whose iss is a third issuer is issuer_mismatch and fetches nothing from anyone', async () => {
    expect([fetches(first), fetches(second), fetches(stranger)]).toEqual([0, 0, 0]);
    await expectRejected(auth, await stranger.sign({ sub: SUBJECT }), 'issuer_mismatch', 401);
    await expectRejected(auth, await first.sign({ sub: SUBJECT, iss: stranger.url }), 'issuer_mismatch', 401);
    await expectRejected(auth, await first.sign({ sub: SUBJECT, iss: 'https://evil.example.com' }), 'issuer_mismatch', 401);
    await expectRejected(auth, await first.sign({ sub: SUBJECT, iss: [first.url, second.url] }), 'issuer_mismatch', 401);
    expect([fetches(first), fetches(second), fetches(stranger)]).toEqual([0, 0, 0]);
  });

  it("verifies a token with the keys of the issuer it names only, never another's", async () => {
    await expectAccepted(auth, await second.sign({ sub: SUBJECT }), second.url);
    expect(fetches(second)).toBeGreaterThan(0);
    expect(fetches(first)).toBe(0);
    // Signed by the first issuer's key but naming the second: the second's keys do not verify it.
    await expectRejected(auth, await first.sign({ sub: SUBJECT, iss: second.url }, { header: { kid: undefined } }), 'invalid_token', 401);
    await expectRejected(auth, await first.sign({ sub: SUBJECT, iss: second.url }), 'key_not_found', 401);
    expect(fetches(first)).toBe(0);
    expect(fetches(stranger)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// Every supported family verifies
// ---------------------------------------------------------------------------------------

describe('each algorithm family verifies', () => {
  const algorithms: TestAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
  const setups = new Map<TestAlgorithm, { issuer: TestIssuer; auth: Authenticator }>();

  beforeAll(async () => {
    for (const alg of algorithms) {
      const issuer = await createTestIssuer({ algorithms: [alg] });
      setups.set(alg, { issuer, auth: createAuthenticator(authOptions(issuer.url, issuer.audience)) });
    }
  });

  afterAll(async () => {
    for (const { issuer, auth } of setups.values()) {
      await auth.close();
      await issuer.close();
    }
  });

  it.each(algorithms)('%s', async (alg) => {
    const setup = setups.get(alg);
    if (setup === undefined) throw new Error(`no issuer for ${alg}`);
    const token = await setup.issuer.sign({ sub: SUBJECT });
    expect(parseSegment(split(token)[0])).toMatchObject({ alg });
    await expectAccepted(setup.auth, token, setup.issuer.url);
    // And a flipped signature byte is refused for this family too.
    const bytes = signatureBytes(token);
    bytes[1] = (bytes[1] ?? 0) ^ 0x80;
    await expectRejected(setup.auth, withSignature(token, b64(bytes)), 'invalid_token', 401);
  });
});

describe('payload encoding', () => {
  it('refuses a signed payload that is not valid UTF-8', async () => {
    const issuer = await createTestIssuer();
    const auth = createAuthenticator({
      issuerUrl: issuer.url,
      audience: issuer.audience,
      accessPolicyClaim: 'sub',
      accessPolicyRegex: '(.*)',
      accessPolicies: { x: { scopes: [], realms: [{ tenant: '*' }] } },
    });
    try {
      const json = new TextEncoder().encode(`{"iss":"${issuer.url}","aud":"${issuer.audience}","exp":${Math.floor(Date.now() / 1000) + 300},"sub":"x`);
      const payload = new Uint8Array([...json, 0xff, 0xfe, 0x22, 0x7d]);
      const token = await issuer.signPayload(payload);
      await expect(auth.authenticate({ authorization: `Bearer t1:${token}` })).rejects.toMatchObject({
        code: 'invalid_token',
        status: 401,
      });
    } finally {
      await auth.close();
      await issuer.close();
    }
  });
});
