// Opaque access tokens through token introspection (RFC 7662), against the test issuer's own
// introspection endpoint and, for hostile answers, a server of our own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, exportJWK, jwtVerify, importJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, createAuthenticator, type AuthEvent, type AuthenticatorOptions, type IntrospectionOptions } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, refusalOf } from '../fixtures.js';

let issuer: TestIssuer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const close of closers.splice(0)) await close();
});

function introspecting(overrides: Partial<AuthenticatorOptions> = {}, introspection: Partial<IntrospectionOptions> = {}) {
  const events: AuthEvent[] = [];
  const auth = createAuthenticator(
    optionsFor(issuer, {
      introspection: { ...issuer.introspectionClient, ...introspection },
      onEvent: (event) => events.push(event),
      ...overrides,
    }),
  );
  closers.push(() => auth.close());
  return { auth, events };
}

/** A server answering introspection requests its own way; counts them and keeps the last form. */
async function endpoint(handle: (request: IncomingMessage, response: ServerResponse, form: URLSearchParams) => void) {
  let count = 0;
  let last: { form: URLSearchParams; authorization: string | undefined } | undefined;
  const server: Server = createServer((request, response) => {
    count += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      last = { form, authorization: request.headers.authorization };
      handle(request, response, form);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/introspect`, requests: () => count, last: () => last };
}

const json = (response: ServerResponse, body: unknown, status = 200) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));

describe('an opaque token is introspected and goes through the same policy path as a JWT', () => {
  it('accepts an active token: the result has the opaque token and the answer as claims', async () => {
    const { auth, events } = introspecting();
    const token = await issuer.issueOpaqueToken({ sub: 'team1', scope: 'metrics:read' });
    const result = await auth.authenticate({ authorization: `Bearer t1:${token}` });
    expect(result.token).toBe(token);
    expect(result.subject).toBe('team1');
    expect(result.claims).toMatchObject({ active: true, sub: 'team1', scope: 'metrics:read', iss: issuer.url });
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(result.accessPolicy.name).toBe('team1');
    expect(result.expiresAt.getTime()).toBe((result.claims.exp as number) * 1000);
    expect(events.filter((event) => event.type === 'introspection')).toEqual([
      expect.objectContaining({ issuer: issuer.url, ok: true, active: true }),
    ]);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('accepts it as the password of Basic auth too', async () => {
    const { auth } = introspecting();
    const token = await issuer.issueOpaqueToken({ sub: 'team1' });
    const basic = Buffer.from(`t1:${token}`).toString('base64');
    await expect(auth.authenticate({ authorization: `Basic ${basic}` })).resolves.toMatchObject({ tenant: 't1' });
  });

  it('still verifies JWTs of the same issuer with its keys', async () => {
    const { auth } = introspecting();
    issuer.resetRequests();
    await auth.authenticate({ authorization: `Bearer t1:${await issuer.sign({ sub: 'team1' })}` });
    expect(issuer.requests.introspection).toBe(0);
  });

  it('reuses an active answer: one introspection for many requests, concurrent ones included', async () => {
    const { auth } = introspecting();
    const token = await issuer.issueOpaqueToken({ sub: 'team1' });
    issuer.resetRequests();
    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate({ authorization: `Bearer t1:${token}` })));
    await auth.authenticate({ authorization: `Bearer t1:${token}` });
    expect(issuer.requests.introspection).toBe(1);
  });

  it('refuses the tenant, the policy and the audience like a JWT', async () => {
    const { auth } = introspecting();
    const team1 = await issuer.issueOpaqueToken({ sub: 'team1' });
    expect((await refusalOf(auth.authenticate({ authorization: `Bearer t2:${team1}` }))).code).toBe('tenant_forbidden');
    const unknown = await issuer.issueOpaqueToken({ sub: 'nobody' });
    expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${unknown}` }))).code).toBe('policy_not_found');
    const other = await issuer.issueOpaqueToken({ sub: 'team1', aud: 'another-api' });
    expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${other}` }))).code).toBe('audience_mismatch');
    const foreign = await issuer.issueOpaqueToken({ sub: 'team1', iss: 'https://elsewhere.example.com' });
    expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${foreign}` }))).code).toBe('issuer_mismatch');
  });

  it('checks the audience against audienceClaim (client_id) when configured', async () => {
    const { auth } = introspecting({ audience: 'metrics-client', audienceClaim: 'client_id' });
    const token = await issuer.issueOpaqueToken({ sub: 'team1', aud: undefined, client_id: 'metrics-client' });
    await expect(auth.authenticate({ authorization: `Bearer t1:${token}` })).resolves.toMatchObject({ subject: 'team1' });
  });

  it('refuses expired, not yet valid and exp-less answers', async () => {
    const { auth } = introspecting();
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, unknown>, string][] = [
      [{ nbf: now + 3600 }, 'token_not_yet_valid'],
      [{ iat: now + 3600 }, 'token_not_yet_valid'],
    ];
    for (const [claims, code] of cases) {
      const token = await issuer.issueOpaqueToken({ sub: 'team1', ...claims });
      expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }))).code).toBe(code);
    }
    const exp = await issuer.issueOpaqueToken({ sub: 'team1' }, { expiresIn: null });
    const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${exp}` }));
    expect([refused.code, refused.message]).toEqual(['invalid_token', 'the token has no exp claim']);
  });

  it('accepts an answer without exp for cacheTtl when requireExp is false', async () => {
    const { auth } = introspecting({}, { requireExp: false, cacheTtl: '30s' });
    const token = await issuer.issueOpaqueToken({ sub: 'team1' }, { expiresIn: null });
    const before = Date.now();
    const result = await auth.authenticate({ authorization: `Bearer t1:${token}` });
    expect(result.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 30_000);
    expect(result.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 30_000);
  });
});

describe('revocation, inactive tokens and the caches', () => {
  it('refuses a revoked token once cacheTtl has passed, not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth } = introspecting({}, { cacheTtl: '20s' });
    const token = await issuer.issueOpaqueToken({ sub: 'team1' }, { expiresIn: '1h' });
    await auth.authenticate({ authorization: `Bearer t1:${token}` });
    issuer.revoke(token);
    vi.setSystemTime(Date.now() + 19_000);
    await expect(auth.authenticate({ authorization: `Bearer t1:${token}` })).resolves.toMatchObject({ tenant: 't1' });
    vi.setSystemTime(Date.now() + 2_000);
    const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }));
    expect([refused.code, refused.status, refused.message]).toEqual(['invalid_token', 401, 'the token is not active']);
  });

  it('never reuses an answer past the token exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth } = introspecting({ clockTolerance: 0 }, { cacheTtl: '10m' });
    const token = await issuer.issueOpaqueToken({ sub: 'team1' }, { expiresIn: '30s' });
    await auth.authenticate({ authorization: `Bearer t1:${token}` });
    vi.setSystemTime(Date.now() + 31_000);
    expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }))).code).toBe('invalid_token');
  });

  it('remembers active: false for a few seconds: a flood of one bad token is one call', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { auth } = introspecting();
    issuer.resetRequests();
    const bad = 'not-a-token-anyone-issued';
    for (let attempt = 0; attempt < 50; attempt += 1) {
      expect((await refusalOf(auth.authenticate({ authorization: `Bearer t1:${bad}` }))).code).toBe('invalid_token');
    }
    expect(issuer.requests.introspection).toBe(1);
    vi.setSystemTime(Date.now() + 6_000);
    await refusalOf(auth.authenticate({ authorization: `Bearer t1:${bad}` }));
    expect(issuer.requests.introspection).toBe(2);
  });

  it('refuses what is neither a compact JWS nor a bearer token without calling the issuer', async () => {
    const { auth } = introspecting();
    issuer.resetRequests();
    for (const token of ['a b', 'abc=def', 'tok"en', 'ab\u00e9']) {
      const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }));
      expect(['400 invalid_request', '401 invalid_token']).toContain(`${refused.status} ${refused.code}`);
    }
    expect(issuer.requests.introspection).toBe(0);
  });

  it('without introspection configured, an opaque token stays invalid_token with no call', async () => {
    const auth = createAuthenticator(optionsFor(issuer));
    closers.push(() => auth.close());
    issuer.resetRequests();
    const token = await issuer.issueOpaqueToken({ sub: 'team1' });
    const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }));
    expect([refused.code, refused.message]).toEqual(['invalid_token', 'the token is not a JWT in compact form (three base64url segments)']);
    expect(issuer.requests.introspection).toBe(0);
  });
});

describe('an issuer that fails is a 503 within the timeout, never a 500, never the token', () => {
  const hostile: [string, (request: IncomingMessage, response: ServerResponse) => void, string][] = [
    ['answers 500', (_q, response) => json(response, { error: 'server_error' }, 500), 'answered with HTTP 500'],
    ['answers 401 (wrong client)', (_q, response) => json(response, { error: 'invalid_client' }, 401), 'answered with HTTP 401'],
    ['answers HTML', (_q, response) => response.writeHead(200).end('<html>'), 'did not answer with valid JSON'],
    ['answers an array', (_q, response) => json(response, [true]), 'no boolean "active" member'],
    ['answers active as a string', (_q, response) => json(response, { active: 'true' }), 'no boolean "active" member'],
    ['answers a numeric sub', (_q, response) => json(response, { active: true, sub: 7, exp: 9e9 }), 'malformed "sub" member'],
    ['redirects', (_q, response) => response.writeHead(302, { location: 'http://127.0.0.1:1/' }).end(), 'redirect'],
    ['hangs', () => undefined, 'timed out'],
  ];
  for (const [name, handle, reason] of hostile) {
    it(`${name}: 503 issuer_unavailable with the reason in the rejected event`, async () => {
      const server = await endpoint((request, response) => handle(request, response));
      const { auth, events } = introspecting({ jwks: { timeout: '300ms' } }, { endpoint: server.url });
      const token = 'opaque-token-value-123';
      const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }));
      expect([refused.status, refused.code]).toEqual([503, 'issuer_unavailable']);
      const rejected = events.find((event) => event.type === 'rejected');
      expect(rejected).toMatchObject({ code: 'issuer_unavailable', reason: expect.stringContaining(reason) });
      expect(JSON.stringify(events) + refused.message + String(refused.wwwAuthenticate)).not.toContain(token);
    });
  }

  it('sends the token with client_secret_basic and token_type_hint', async () => {
    const server = await endpoint((_request, response) => json(response, { active: true, sub: 'team1', aud: issuer.audience, exp: 9e9 }));
    const { auth } = introspecting({}, { endpoint: server.url, clientId: 'api client', clientSecret: 's3cr:t+' });
    await auth.authenticate({ authorization: 'Bearer t1:opaque-1' });
    const last = server.last();
    expect(last?.form.get('token')).toBe('opaque-1');
    expect(last?.form.get('token_type_hint')).toBe('access_token');
    expect(last?.authorization).toBe(`Basic ${Buffer.from('api+client:s3cr%3At%2B').toString('base64')}`);
  });

  it('authenticates with private_key_jwt: a fresh assertion signed by the configured key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'client-key-1' };
    const server = await endpoint((_request, response) => json(response, { active: true, sub: 'team1', aud: issuer.audience, exp: 9e9 }));
    const { auth } = introspecting({}, { endpoint: server.url, clientId: 'metrics-api', clientSecret: undefined, privateKey: jwk });
    await auth.authenticate({ authorization: 'Bearer t1:opaque-2' });
    await auth.authenticate({ authorization: 'Bearer t1:opaque-3' });
    const form = server.last()?.form as URLSearchParams;
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_id')).toBe('metrics-api');
    const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion') as string, await importJWK(await exportJWK(publicKey), 'ES256'), {
      issuer: 'metrics-api',
      subject: 'metrics-api',
      audience: server.url,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'client-key-1' });
    expect(typeof payload.jti).toBe('string');
    expect(server.last()?.authorization).toBeUndefined();
  });

  it('an issuer whose discovery names no introspection endpoint: 503 saying so', async () => {
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, introspection_endpoint: undefined } });
    try {
      const { auth, events } = introspecting();
      const refused = await refusalOf(auth.authenticate({ authorization: 'Bearer t1:opaque-4' }));
      expect(refused.code).toBe('issuer_unavailable');
      expect(events.find((event) => event.type === 'rejected')).toMatchObject({ reason: expect.stringContaining('introspection_endpoint') });
    } finally {
      issuer.override('discovery', null);
    }
  });

  it('a flood of distinct tokens reaches the issuer 64 calls at a time; beyond 1,024 waiting, 503 at once', async () => {
    let open = 0;
    let mostOpen = 0;
    const server = await endpoint((request) => {
      // Never answers: every call holds its slot until its deadline.
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      request.socket.once('close', () => {
        open -= 1;
      });
    });
    const { auth, events } = introspecting({ jwks: { timeout: '500ms' } }, { endpoint: server.url });
    const tokens = Array.from({ length: 64 + 1024 + 10 }, (_, index) => `flood-token-${index}`);
    const refusals = await Promise.all(tokens.map((token) => refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }))));
    expect(new Set(refusals.map((refused) => `${refused.status} ${refused.code}`))).toEqual(new Set(['503 issuer_unavailable']));
    expect(mostOpen).toBeLessThanOrEqual(64);
    expect(mostOpen).toBeGreaterThan(0);
    const reasons = events.flatMap((event) => (event.type === 'rejected' ? [event.reason] : []));
    expect(reasons.filter((reason) => reason.includes('1024 waiting; the token was not sent'))).toHaveLength(10);
    expect(reasons.filter((reason) => reason.includes('no introspection call could start within 500 ms')).length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain('flood-token-');
  });

  it('close() settles a pending introspection at once', async () => {
    const server = await endpoint(() => undefined);
    const { auth } = introspecting({}, { endpoint: server.url });
    const pending = refusalOf(auth.authenticate({ authorization: 'Bearer t1:opaque-5' }));
    await vi.waitFor(() => expect(server.requests()).toBe(1));
    await auth.close();
    expect((await pending).code).toBe('issuer_unavailable');
  });
});

describe('introspection options are checked at setup', () => {
  const attempts: [string, Partial<AuthenticatorOptions>, string][] = [
    ['no client secret or key', { introspection: { clientId: 'x' } }, 'exactly one of `clientSecret`'],
    ['both a secret and a key', { introspection: { clientId: 'x', clientSecret: 'y', privateKey: { kty: 'EC', alg: 'ES256', d: 'x' } } }, 'exactly one'],
    ['a misspelt key', { introspection: { clientId: 'x', clientSecret: 'y', cacheTTL: '1m' } as never }, 'cacheTtl'],
    ['a bad duration', { introspection: { clientId: 'x', clientSecret: 'y', cacheTtl: '2h' } }, 'at most 60 minutes'],
    ['a plain-http endpoint off loopback', { introspection: { clientId: 'x', clientSecret: 'y', endpoint: 'http://idp.example.com/introspect' } }, 'introspection.endpoint'],
    ['an HMAC key', { introspection: { clientId: 'x', privateKey: { kty: 'oct', alg: 'HS256', d: 'x' } as never } }, 'privateKey'],
    ['a key of another algorithm', { introspection: { clientId: 'x', privateKey: { kty: 'EC', crv: 'P-256', alg: 'RS256', d: 'x', x: 'y', y: 'z' } } }, 'privateKey'],
    ['several issuerUrl', { issuerUrl: ['https://a.example.com', 'https://b.example.com'], introspection: { clientId: 'x', clientSecret: 'y' } }, 'exactly one `issuerUrl`'],
    ['jwksUri without endpoint', { jwksUri: 'https://idp.example.com/jwks', introspection: { clientId: 'x', clientSecret: 'y' } }, 'endpoint` is required'],
  ];
  for (const [name, overrides, message] of attempts) {
    it(`refuses ${name}`, () => {
      const attempt = () => createAuthenticator(optionsFor(issuer, overrides));
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(message);
    });
  }

  it('refuses introspection on two issuers', () => {
    const entry = (issuerUrl: string) => ({ issuerUrl, introspection: { clientId: 'x', clientSecret: 'y' } });
    const attempt = () =>
      createAuthenticator(optionsFor(issuer, { issuerUrl: undefined, issuers: [entry('https://a.example.com'), entry('https://b.example.com')] }));
    expect(attempt).toThrow('`introspection` is set on issuers[0] and issuers[1]');
  });
});

describe('the test issuer introspection endpoint', () => {
  it('refuses a client with the wrong secret: the service sees 503 with the HTTP status as reason', async () => {
    const { auth, events } = introspecting({}, { clientSecret: 'wrong' });
    const token = await issuer.issueOpaqueToken({ sub: 'team1' });
    const refused = await refusalOf(auth.authenticate({ authorization: `Bearer t1:${token}` }));
    expect(refused.code).toBe('issuer_unavailable');
    expect(events.find((event) => event.type === 'rejected')).toMatchObject({ reason: expect.stringContaining('HTTP 401') });
  });
});
