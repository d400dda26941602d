/**
 * `createTestIssuer` (tenantgate/testing): a real local OIDC issuer, exercised over HTTP with the
 * global fetch and checked with jose.
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  compactVerify,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { createTestIssuer, type TestAlgorithm, type TestIssuer, type TestIssuerOptions } from '../../src/testing.js';

const open: TestIssuer[] = [];

async function start(options?: TestIssuerOptions): Promise<TestIssuer> {
  const issuer = await createTestIssuer(options);
  open.push(issuer);
  return issuer;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return response.json();
}

async function fetchJwks(issuer: TestIssuer): Promise<JSONWebKeySet> {
  return (await getJson(issuer.jwksUri)) as JSONWebKeySet;
}

function kidsOf(jwks: JSONWebKeySet): Array<string | undefined> {
  return jwks.keys.map((key) => key.kid);
}

async function verifyWithServedJwks(issuer: TestIssuer, token: string) {
  const jwks = createLocalJWKSet(await fetchJwks(issuer));
  return jwtVerify(token, jwks, { issuer: issuer.url, audience: issuer.audience });
}

/** Expects `promise` to reject with an abort or timeout error. */
async function expectAborted(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  expect(['TimeoutError', 'AbortError']).toContain((error as Error).name);
}

describe('discovery', () => {
  it('serves the discovery document with issuer and jwks_uri', async () => {
    const issuer = await start();
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(issuer.discoveryUrl).toBe(`${issuer.url}/.well-known/openid-configuration`);
    const document = (await getJson(issuer.discoveryUrl)) as Record<string, unknown>;
    expect(document.issuer).toBe(issuer.url);
    expect(document.jwks_uri).toBe(issuer.jwksUri);
    expect(document).toStrictEqual(issuer.discoveryDocument);
    expect(document.id_token_signing_alg_values_supported).toStrictEqual(['RS256']);
  });

  it('puts a path in the URL', async () => {
    const issuer = await start({ path: '/realms/example' });
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/example$/);
    expect(issuer.discoveryUrl).toBe(`${issuer.url}/.well-known/openid-configuration`);
    expect(issuer.jwksUri).toBe(`${issuer.url}/jwks`);
    const document = (await getJson(issuer.discoveryUrl)) as Record<string, unknown>;
    expect(document.issuer).toBe(issuer.url);
    expect(document.jwks_uri).toBe(issuer.jwksUri);
    // The root is not the issuer.
    const origin = new URL(issuer.url).origin;
    expect((await fetch(`${origin}/.well-known/openid-configuration`)).status).toBe(404);
    const verified = await verifyWithServedJwks(issuer, await issuer.sign({ sub: 'x' }));
    expect(verified.payload.iss).toBe(issuer.url);
  });

  it('answers 404 for unknown paths without counting them', async () => {
    const issuer = await start();
    expect((await fetch(`${issuer.url}/nope`)).status).toBe(404);
    expect(issuer.requests).toStrictEqual({ discovery: 0, jwks: 0, introspection: 0 });
  });

  it('ignores a query string', async () => {
    const issuer = await start();
    const document = (await getJson(`${issuer.discoveryUrl}?x=1`)) as Record<string, unknown>;
    expect(document.issuer).toBe(issuer.url);
  });

  it('uses the configured audience', async () => {
    const issuer = await start({ audience: 'metrics-api' });
    expect(issuer.audience).toBe('metrics-api');
    expect(decodeJwt(await issuer.sign()).aud).toBe('metrics-api');
  });

  it('defaults the audience to tenantgate-test', async () => {
    const issuer = await start();
    expect(issuer.audience).toBe('tenantgate-test');
  });
});

describe('keys and signatures', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as TestAlgorithm[])(
    'signs %s tokens that jose verifies against the served JWKS',
    async (alg) => {
      const issuer = await start({ algorithms: [alg] });
      const jwks = await fetchJwks(issuer);
      expect(jwks).toStrictEqual(issuer.jwks);
      expect(jwks.keys).toHaveLength(1);
      const [key] = jwks.keys;
      expect(key?.alg).toBe(alg);
      expect(key?.use).toBe('sig');
      expect(key?.kid).toBe(issuer.kids[0]);
      // Public keys only.
      expect(key).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('p');

      const token = await issuer.sign({ sub: 'x' });
      const { payload, protectedHeader } = await verifyWithServedJwks(issuer, token);
      expect(payload.sub).toBe('x');
      expect(protectedHeader.alg).toBe(alg);
      expect(protectedHeader.kid).toBe(key?.kid);
      expect(protectedHeader.typ).toBe('JWT');
    },
  );

  it('makes one key per algorithm, the first signing by default, and signs with a chosen alg', async () => {
    const issuer = await start({ algorithms: ['ES256', 'RS256'] });
    expect(issuer.kids).toHaveLength(2);
    // TestIssuerOptions.algorithms: "the first signs by default".
    expect(decodeProtectedHeader(await issuer.sign()).alg).toBe('ES256');
    expect(decodeProtectedHeader(await issuer.sign()).kid).toBe(issuer.kids[0]);
    const es = await issuer.sign({}, { alg: 'ES256' });
    expect(decodeProtectedHeader(es).alg).toBe('ES256');
    expect(decodeProtectedHeader(es).kid).toBe(issuer.kids[0]);
    await expect(verifyWithServedJwks(issuer, es)).resolves.toBeDefined();
    const rs = await issuer.sign({}, { kid: issuer.kids[1] });
    expect(decodeProtectedHeader(rs)).toMatchObject({ kid: issuer.kids[1], alg: 'RS256' });
    expect(decodeProtectedHeader(await issuer.sign({}, { alg: 'RS256' })).kid).toBe(issuer.kids[1]);
    await expect(verifyWithServedJwks(issuer, rs)).resolves.toBeDefined();
    // After a rotation the new key is the default signer.
    const rotated = await issuer.rotate('RS256');
    expect(decodeProtectedHeader(await issuer.sign()).kid).toBe(rotated);
    await expect(issuer.sign({}, { alg: 'PS256' })).rejects.toThrow(/no signing key/);
    await expect(issuer.sign({}, { kid: 'unknown' })).rejects.toThrow(/no signing key/);
  });

  it('publishes RSA keys of at least 2048 bits', async () => {
    const issuer = await start({ algorithms: ['RS256'] });
    const [key] = (await fetchJwks(issuer)).keys;
    expect(Buffer.from(key?.n ?? '', 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
  });
});

describe('sign', () => {
  it('sets iss, aud, iat and a five-minute exp by default', async () => {
    const issuer = await start();
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await issuer.sign());
    const after = Math.floor(Date.now() / 1000);
    expect(claims.iss).toBe(issuer.url);
    expect(claims.aud).toBe(issuer.audience);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(Object.keys(claims).sort()).toStrictEqual(['aud', 'exp', 'iat', 'iss']);
  });

  it('lets claims add to and replace the defaults, and undefined remove one', async () => {
    const issuer = await start();
    const claims = decodeJwt(
      await issuer.sign({ sub: 'pref-1-x', aud: ['a', 'b'], iss: 'https://other.example.com', iat: undefined, nested: { roles: ['r'] } }),
    );
    expect(claims).toMatchObject({ sub: 'pref-1-x', aud: ['a', 'b'], iss: 'https://other.example.com', nested: { roles: ['r'] } });
    expect(claims).not.toHaveProperty('iat');
    expect(claims.exp).toBeTypeOf('number');
  });

  it('leaves out exp with expiresIn null', async () => {
    const issuer = await start();
    const claims = decodeJwt(await issuer.sign({ sub: 'x' }, { expiresIn: null }));
    expect(claims).not.toHaveProperty('exp');
    expect(claims.sub).toBe('x');
  });

  it('takes expiresIn as a duration or seconds', async () => {
    const issuer = await start();
    const oneHour = decodeJwt(await issuer.sign({}, { expiresIn: '1h' }));
    expect((oneHour.exp ?? 0) - (oneHour.iat ?? 0)).toBe(3600);
    const ninety = decodeJwt(await issuer.sign({}, { expiresIn: 90 }));
    expect((ninety.exp ?? 0) - (ninety.iat ?? 0)).toBe(90);
  });

  it('refuses an invalid expiresIn instead of silently leaving out exp', async () => {
    const issuer = await start();
    await expect(issuer.sign({}, { expiresIn: 'five minutes' })).rejects.toThrow(/expiresIn/);
    await expect(issuer.sign({}, { expiresIn: -60 })).rejects.toThrow(/expiresIn/);
  });

  it('adds header fields to the protected header but keeps the key alg', async () => {
    const issuer = await start();
    const token = await issuer.sign({}, { header: { typ: 'at+jwt', x5u: 'https://evil.example.com', alg: 'none', kid: 'other' } });
    const header = decodeProtectedHeader(token);
    expect(header.typ).toBe('at+jwt');
    expect(header.x5u).toBe('https://evil.example.com');
    expect(header.kid).toBe('other');
    expect(header.alg).toBe('RS256');
  });
});

describe('signPayload', () => {
  it('signs an arbitrary payload such as []', async () => {
    const issuer = await start();
    const token = await issuer.signPayload('[]');
    const [, payload] = token.split('.');
    expect(Buffer.from(payload ?? '', 'base64url').toString('utf8')).toBe('[]');
    const { payload: verified } = await compactVerify(token, createLocalJWKSet(await fetchJwks(issuer)));
    expect(new TextDecoder().decode(verified)).toBe('[]');
  });

  it('signs raw bytes', async () => {
    const issuer = await start();
    const bytes = Uint8Array.from([0xff, 0x00, 0x7b]);
    const token = await issuer.signPayload(bytes, { header: { typ: 'x' } });
    const [, payload] = token.split('.');
    expect([...Buffer.from(payload ?? '', 'base64url')]).toStrictEqual([0xff, 0x00, 0x7b]);
    expect(decodeProtectedHeader(token).typ).toBe('x');
  });
});

describe('rotation and key management', () => {
  it('rotate adds a key that signs by default while the old one stays published', async () => {
    const issuer = await start();
    const [oldKid] = issuer.kids;
    const oldToken = await issuer.sign({ sub: 'x' });
    const newKid = await issuer.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(issuer.kids).toStrictEqual([oldKid, newKid]);
    expect(kidsOf(await fetchJwks(issuer))).toStrictEqual([oldKid, newKid]);

    const newToken = await issuer.sign({ sub: 'x' });
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await expect(verifyWithServedJwks(issuer, newToken)).resolves.toBeDefined();
    await expect(verifyWithServedJwks(issuer, oldToken)).resolves.toBeDefined();
    expect(decodeProtectedHeader(await issuer.sign({}, { kid: oldKid })).kid).toBe(oldKid);
  });

  it('rotate takes an algorithm', async () => {
    const issuer = await start();
    const kid = await issuer.rotate('ES384');
    const token = await issuer.sign();
    expect(decodeProtectedHeader(token)).toMatchObject({ kid, alg: 'ES384' });
    await expect(verifyWithServedJwks(issuer, token)).resolves.toBeDefined();
  });

  it('removeKey stops publishing a key', async () => {
    const issuer = await start();
    const [oldKid] = issuer.kids;
    const oldToken = await issuer.sign();
    const newKid = await issuer.rotate();
    issuer.removeKey(oldKid ?? '');
    expect(issuer.kids).toStrictEqual([newKid]);
    expect(kidsOf(await fetchJwks(issuer))).toStrictEqual([newKid]);
    await expect(verifyWithServedJwks(issuer, oldToken)).rejects.toThrow();
    await expect(issuer.sign({}, { kid: oldKid })).rejects.toThrow(/no signing key/);
  });

  it('publish adds a raw JWK exactly as given, and removeKey removes it', async () => {
    const issuer = await start();
    const extra: JWK = { kty: 'oct', k: 'c2VjcmV0', kid: 'raw-1', alg: 'HS256' };
    issuer.publish(extra);
    const jwks = await fetchJwks(issuer);
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[1]).toStrictEqual(extra);
    expect(issuer.kids).toContain('raw-1');
    issuer.removeKey('raw-1');
    expect(kidsOf(await fetchJwks(issuer))).not.toContain('raw-1');
  });
});

describe('failure modes', () => {
  it("fail('down') answers 500 on both endpoints and fail(null) recovers", async () => {
    const issuer = await start();
    issuer.fail('down');
    expect((await fetch(issuer.discoveryUrl)).status).toBe(500);
    expect((await fetch(issuer.jwksUri)).status).toBe(500);
    issuer.fail(null);
    expect((await fetch(issuer.discoveryUrl)).status).toBe(200);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });

  it("fail('down', { endpoint }) affects only that endpoint", async () => {
    const issuer = await start();
    issuer.fail('down', { endpoint: 'discovery' });
    expect((await fetch(issuer.discoveryUrl)).status).toBe(500);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    issuer.fail(null, { endpoint: 'discovery' });
    expect((await fetch(issuer.discoveryUrl)).status).toBe(200);
  });

  it("fail('hang', { endpoint: 'jwks' }) never answers while discovery still does", async () => {
    const issuer = await start();
    issuer.fail('hang', { endpoint: 'jwks' });
    await expectAborted(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(200) }));
    expect((await fetch(issuer.discoveryUrl)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(1);
    issuer.fail(null);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });

  it("fail('slow') answers, later", async () => {
    const issuer = await start();
    issuer.fail('slow', { delay: '150ms' });
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(200);
    expect(((await response.json()) as JSONWebKeySet).keys).toHaveLength(1);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('close resolves while a request hangs, and the hanging client sees an error', async () => {
    const issuer = await createTestIssuer();
    try {
      issuer.fail('hang');
      const pending = fetch(issuer.discoveryUrl).then(
        () => 'answered',
        () => 'failed',
      );
      // Wait until the server has the request, by polling the counter through a promise chain.
      await waitFor(() => issuer.requests.discovery === 1);
      await issuer.close();
      expect(await pending).toBe('failed');
    } finally {
      await issuer.close().catch(() => undefined);
    }
  });

  it('close resolves while a slow answer is pending', async () => {
    const issuer = await createTestIssuer();
    try {
      issuer.fail('slow', { delay: '10m' });
      const pending = fetch(issuer.jwksUri).then(
        () => 'answered',
        () => 'failed',
      );
      await waitFor(() => issuer.requests.jwks === 1);
      await issuer.close();
      expect(await pending).toBe('failed');
    } finally {
      await issuer.close().catch(() => undefined);
    }
  });
});

describe('overrides', () => {
  it('override can answer a redirect', async () => {
    const issuer = await start();
    issuer.override('discovery', { status: 302, headers: { location: 'http://127.0.0.1:1/' } });
    const response = await fetch(issuer.discoveryUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:1/');
    // The other endpoint is untouched.
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });

  it('override can answer a string body as is', async () => {
    const issuer = await start();
    issuer.override('jwks', { body: 'not json' });
    const response = await fetch(issuer.jwksUri, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('not json');
  });

  it('override sends other bodies as JSON, with custom headers', async () => {
    const issuer = await start();
    issuer.override('discovery', { status: 201, headers: { 'content-type': 'text/plain', 'x-test': '1' }, body: { issuer: 'x' } });
    const response = await fetch(issuer.discoveryUrl);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-test')).toBe('1');
    expect(await response.json()).toStrictEqual({ issuer: 'x' });
  });

  it('override(endpoint, null) restores the real answer', async () => {
    const issuer = await start();
    issuer.override('jwks', { body: 'not json' });
    issuer.override('jwks', null);
    expect(await fetchJwks(issuer)).toStrictEqual(issuer.jwks);
  });

  it('a down failure wins over an override', async () => {
    const issuer = await start();
    issuer.override('jwks', { body: { keys: [] } });
    issuer.fail('down', { endpoint: 'jwks' });
    expect((await fetch(issuer.jwksUri)).status).toBe(500);
  });
});

describe('request counters', () => {
  it('count per endpoint, failures included, and reset to zero', async () => {
    const issuer = await start();
    expect(issuer.requests).toStrictEqual({ discovery: 0, jwks: 0, introspection: 0 });
    await fetch(issuer.discoveryUrl);
    await fetch(issuer.jwksUri);
    await fetch(issuer.jwksUri);
    expect(issuer.requests).toStrictEqual({ discovery: 1, jwks: 2, introspection: 0 });
    issuer.fail('down', { endpoint: 'discovery' });
    await fetch(issuer.discoveryUrl);
    expect(issuer.requests).toStrictEqual({ discovery: 2, jwks: 2, introspection: 0 });
    await fetch(issuer.introspectionEndpoint, { method: 'POST' });
    expect(issuer.requests.introspection).toBe(1);
    issuer.resetRequests();
    expect(issuer.requests).toStrictEqual({ discovery: 0, jwks: 0, introspection: 0 });
    await fetch(issuer.jwksUri);
    expect(issuer.requests).toStrictEqual({ discovery: 0, jwks: 1, introspection: 0 });
  });
});

describe('connections', () => {
  it('keeps idle keep-alive connections for minutes, not Node\'s 5 s', async () => {
    const issuer = await start();
    const response = await fetch(issuer.jwksUri);
    await response.arrayBuffer();
    // Node announces its keepAliveTimeout; a client pooling the connection reads it.
    expect(response.headers.get('keep-alive')).toBe('timeout=600');
  });
});

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000; turn += 1) {
    if (condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}

describe('options', () => {
  it('refuses a misspelt or mistyped option instead of starting another issuer', async () => {
    const refusal = async (options: unknown) =>
      createTestIssuer(options as TestIssuerOptions).then(
        async (issuer) => {
          await issuer.close();
          return undefined;
        },
        (error: unknown) => error,
      );
    const misspelt = await refusal({ algorithm: ['ES256'] });
    expect(misspelt).toBeInstanceOf(ConfigError);
    expect((misspelt as ConfigError).problems).toEqual(['`algorithm` is not an option (did you mean `algorithms`?).']);
    const wrong = (await refusal({ algorithms: ['HS256'], port: 70_000, path: 'realms/x' })) as ConfigError;
    expect(wrong.problems).toHaveLength(3);
    expect(wrong.problems.join('\n')).toMatch(/`algorithms\[0\]` must be one of RS256/);
    expect(wrong.problems.join('\n')).toMatch(/`port` must be a port number/);
    expect(wrong.problems.join('\n')).toMatch(/`path` must be a path starting with "\/"/);
  });
});

describe('opaque tokens and the introspection endpoint', () => {
  const introspect = (issuer: TestIssuer, token: string, client = issuer.introspectionClient) =>
    fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });

  it('answers active with the claims until revoked, and is named by discovery', async () => {
    const issuer = await start();
    expect(issuer.discoveryDocument.introspection_endpoint).toBe(issuer.introspectionEndpoint);
    const token = await issuer.issueOpaqueToken({ sub: 'svc', scope: 'a b' });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = (await (await introspect(issuer, token)).json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ active: true, sub: 'svc', scope: 'a b', iss: issuer.url, aud: issuer.audience });
    issuer.revoke(token);
    expect(await (await introspect(issuer, token)).json()).toStrictEqual({ active: false });
    expect(await (await introspect(issuer, 'never-issued')).json()).toStrictEqual({ active: false });
  });

  it('answers inactive once the token has expired', async () => {
    const issuer = await start();
    const token = await issuer.issueOpaqueToken({ exp: Math.floor(Date.now() / 1000) - 1 });
    expect(await (await introspect(issuer, token)).json()).toStrictEqual({ active: false });
  });

  it('refuses another client with 401 invalid_client', async () => {
    const issuer = await start();
    const response = await introspect(issuer, 'x', { clientId: issuer.introspectionClient.clientId, clientSecret: 'wrong' });
    expect(response.status).toBe(401);
    expect(await response.json()).toStrictEqual({ error: 'invalid_client' });
  });
});
