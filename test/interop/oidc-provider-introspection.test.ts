// Opaque access tokens against a certified OpenID Provider: `oidc-provider` runs in-process on
// 127.0.0.1 with its introspection (RFC 7662) and revocation (RFC 7009) endpoints and issues
// opaque client-credentials tokens; tenantgate, behind real Express, Koa and Fastify apps, checks
// them at the provider's introspection endpoint, authenticating as the resource server's own
// client with a secret or with a signed assertion (private_key_jwt). The provider's configuration
// and where it comes from are in ./oidc-provider-fixtures.ts.
//
// Revocation is seen only once the cached answer runs out (`cacheTtl`): the clock moves with a
// fake Date alone, so that sockets and the library's own timers keep running for real.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type AuthError, type AuthEvent, type Authenticator, type AuthenticatorOptions } from '../../src/index.js';
import { AUDIENCE, basic, buildIntrospectionProvider, FRAMEWORKS, INTROSPECTORS, listen, OPAQUE_CLIENTS, POLICIES, POLICY_CLAIM, send } from './oidc-provider-fixtures.js';
import type { Answer, App } from './oidc-provider-fixtures.js';

type OpaqueClient = keyof typeof OPAQUE_CLIENTS;
type IntrospectionOptions = NonNullable<AuthenticatorOptions['introspection']>;

/** A running provider, counting the introspection requests it serves. */
interface Running {
  issuer: string;
  endpoints: Record<'token' | 'introspection' | 'revocation', string>;
  introspections: number;
  /** Introspection requests are held until this many wait, then answered together. */
  holdUntil: number;
  app: App;
}

const listeners: App[] = [];
const authenticators: Authenticator[] = [];
const events: AuthEvent[] = [];
const issued: string[] = [];
const serverErrors: Error[] = [];
const restoreConsole: Array<() => void> = [];
const RESOURCE_SERVER = [INTROSPECTORS.secret.clientId, INTROSPECTORS.secret.secret] as const;
const READER = ['opaque-reader', OPAQUE_CLIENTS['opaque-reader'].secret] as const;
let keyed: { privateJwk: JWK; publicJwk: JWK };
let provider: Running;

async function startProvider(): Promise<Running> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  const running = { introspections: 0, holdUntil: 1 } as Running;
  let held: Array<() => void> = [];
  running.app = await listen((req, res) => {
    if (req.url !== '/token/introspection') return void handle?.(req, res);
    running.introspections += 1;
    held.push(() => void handle?.(req, res));
    if (held.length < running.holdUntil) return;
    const waiting = held;
    [held, running.holdUntil] = [[], 1];
    for (const release of waiting) release();
  });
  listeners.push(running.app);
  running.issuer = running.app.url;
  const built = await buildIntrospectionProvider(running.issuer, keyed.publicJwk);
  built.on('server_error', (_ctx, error) => serverErrors.push(error));
  handle = built.callback();
  const { body } = await send(`${running.issuer}/.well-known/openid-configuration`);
  expect(body).toMatchObject({ issuer: running.issuer, introspection_endpoint: `${running.issuer}/token/introspection` });
  running.endpoints = { token: String(body.token_endpoint), introspection: String(body.introspection_endpoint), revocation: String(body.revocation_endpoint) };
  return running;
}

/** A form POST to one of the provider's endpoints as the client `[id, secret]`. */
const post = (endpoint: string, [id, secret]: readonly [string, string], form: Record<string, string>) =>
  send(endpoint, { method: 'POST', headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

/** A fresh opaque client-credentials token of `client`. */
async function tokenOf(client: OpaqueClient, at: Running = provider): Promise<string> {
  const answer = await post(at.endpoints.token, [client, OPAQUE_CLIENTS[client].secret], { grant_type: 'client_credentials', scope: 'metrics:read' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const token = String(answer.body.access_token);
  issued.push(token);
  return token;
}

function authenticator(introspection: IntrospectionOptions, issuer = provider.issuer): Authenticator {
  const auth = createAuthenticator({
    issuerUrl: issuer,
    audience: AUDIENCE,
    accessPolicyClaim: POLICY_CLAIM,
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: POLICIES,
    introspection,
    onEvent: (event) => events.push(event),
  });
  authenticators.push(auth);
  return auth;
}

const withSecret = (extra: Partial<IntrospectionOptions> = {}): IntrospectionOptions => ({ clientId: RESOURCE_SERVER[0], clientSecret: RESOURCE_SERVER[1], ...extra });

async function started(app: Promise<App>): Promise<string> {
  const running = await app;
  listeners.push(running);
  return `${running.url}/data`;
}

const get = (url: string, authorization: string) => send(url, { headers: { authorization } });

/**
 * What a refusal showed: the status, the body's RFC 6750 `error` and description, the
 * challenge's `error`, and the contract's codes from the `rejected` events since `from`.
 */
function refusal(answer: Answer, from: number) {
  const { status, body, wwwAuthenticate } = answer;
  const codes = events.slice(from).flatMap((event) => (event.type === 'rejected' ? [event.code] : []));
  return { status, error: body.error, description: body.error_description, challenge: /error="([a-z_]+)"/.exec(wwwAuthenticate)?.[1], codes };
}

/** A request, and {@link refusal} of its answer. */
const refusalOf = (url: string, authorization: string, from = events.length) => get(url, authorization).then((answer) => refusal(answer, from));

const NOT_ACTIVE = { status: 401, error: 'invalid_token', description: 'the token is not active', challenge: 'invalid_token', codes: ['invalid_token'] };
const FORBIDDEN = { status: 403, error: 'insufficient_scope', description: 'the access policy does not cover the requested tenant', challenge: 'insufficient_scope', codes: ['tenant_forbidden'] };
const UNAVAILABLE = { status: 503, error: 'temporarily_unavailable', description: 'the issuer could not introspect the token; try again later', challenge: undefined, codes: ['issuer_unavailable'] };

beforeAll(async () => {
  // oidc-provider's development notices ("oidc-provider WARNING: ...") stay out of the output.
  for (const method of ['warn', 'info'] as const) {
    const original = console[method].bind(console);
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider')) return;
      original(...args);
    });
    restoreConsole.push(() => spy.mockRestore());
  }
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const about = { kid: 'metrics-api-key-1', alg: 'ES256' };
  keyed = { privateJwk: { ...(await exportJWK(privateKey)), ...about }, publicJwk: { ...(await exportJWK(publicKey)), ...about, use: 'sig' } };
  provider = await startProvider();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await Promise.all(authenticators.map((auth) => auth.close()));
  await Promise.all(listeners.map((app) => app.close()));
  for (const restore of restoreConsole) restore();
  expect(serverErrors).toEqual([]);
  // No event of the authenticators above carried a token the provider issued.
  const seen = JSON.stringify(events);
  expect(issued.filter((token) => seen.includes(token))).toEqual([]);
});

describe('oidc-provider, asked directly', () => {
  it('issues opaque client-credentials tokens whose introspection carries aud, client_id, exp and the policy claim', async () => {
    const token = await tokenOf('opaque-reader');
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const answer = await post(provider.endpoints.introspection, RESOURCE_SERVER, { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      active: true,
      iss: provider.issuer,
      aud: AUDIENCE,
      client_id: 'opaque-reader',
      scope: 'metrics:read',
      token_type: 'Bearer',
      [POLICY_CLAIM]: OPAQUE_CLIENTS['opaque-reader'].groups,
    });
    expect(answer.body.exp).toBe(Number(answer.body.iat) + 600);
    expect(answer.body).not.toHaveProperty('sub');
  });

  it('lets only the resource server introspect another client’s token, and answers inactive once it is revoked', async () => {
    const token = await tokenOf('opaque-reader');
    expect((await post(provider.endpoints.introspection, ['outsider', OPAQUE_CLIENTS.outsider.secret], { token })).body).toEqual({ active: false });
    expect((await post(provider.endpoints.revocation, READER, { token })).status).toBe(200);
    expect((await post(provider.endpoints.introspection, RESOURCE_SERVER, { token })).body).toEqual({ active: false });
  });
});

for (const [name, start] of Object.entries(FRAMEWORKS)) {
  describe(`an opaque token through ${name}`, () => {
    let url: string;
    let token: string;

    beforeAll(async () => {
      url = await started(start(authenticator(withSecret()), undefined));
      token = await tokenOf('opaque-reader');
    });

    it('is accepted for the tenant of its policy, as Bearer and as Basic', async () => {
      for (const authorization of [`Bearer tenant-1:${token}`, basic('tenant-1', token)]) {
        const answer = await get(url, authorization);
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { tenant: 'tenant-1', client: 'opaque-reader' } });
      }
    });

    it('is refused for another tenant: 403 tenant_forbidden', async () => {
      expect(await refusalOf(url, `Bearer tenant-2:${token}`)).toEqual(FORBIDDEN);
    });

    it('is refused when the provider does not know it: 401 invalid_token', async () => {
      expect(await refusalOf(url, 'Bearer tenant-1:not-a-token-this-provider-issued-0123456789')).toEqual(NOT_ACTIVE);
    });
  });
}

describe('a burst of first-seen opaque tokens', () => {
  it('gets one introspection each, all answered 200, with no process warning (64 in flight at once)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const url = await started(FRAMEWORKS.Express(authenticator(withSecret()), undefined));
    const burst = await Promise.all(Array.from({ length: 64 }, () => tokenOf('opaque-reader')));
    const before = provider.introspections;
    provider.holdUntil = burst.length;
    const statuses = await Promise.all(burst.map(async (token) => (await get(url, `Bearer tenant-1:${token}`)).status));
    await new Promise<void>((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect({ statuses: new Set(statuses), introspections: provider.introspections - before, warnings }).toEqual({ statuses: new Set([200]), introspections: 64, warnings: [] });
  });
});

describe('the result of an introspected token', () => {
  it('holds the opaque token, the introspection answer as claims, and the policy its claim maps to', async () => {
    const auth = authenticator(withSecret());
    const token = await tokenOf('opaque-reader');
    const result = await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    const answer = (await post(provider.endpoints.introspection, RESOURCE_SERVER, { token })).body;
    expect(result).toMatchObject({ tenant: 'tenant-1', tenants: ['tenant-1'], token, subject: undefined, policyNames: ['1234567890'] });
    expect(result.claims).toMatchObject({ active: true, client_id: 'opaque-reader', aud: AUDIENCE, iss: provider.issuer, exp: answer.exp });
    expect(result.accessPolicy).toMatchObject({ name: '1234567890', virtual: false, tenants: ['tenant-1'] });
    expect(result.expiresAt.getTime()).toBe(Number(answer.exp) * 1000);
  });

  it('is refused when the resource server may not introspect (a client that is no resource server): 401 invalid_token', async () => {
    const auth = authenticator({ clientId: 'outsider', clientSecret: OPAQUE_CLIENTS.outsider.secret });
    const token = await tokenOf('opaque-reader');
    await expect(auth.authenticate({ authorization: `Bearer tenant-1:${token}` })).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });
});

describe('a token revoked at the provider', () => {
  it('is accepted from the cache until cacheTtl, then refused with 401 invalid_token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const url = await started(FRAMEWORKS.Express(authenticator(withSecret({ cacheTtl: '30s' })), undefined));
    const token = await tokenOf('opaque-reader');
    const before = provider.introspections;
    expect((await get(url, `Bearer tenant-1:${token}`)).status).toBe(200);
    expect(provider.introspections).toBe(before + 1);

    expect((await post(provider.endpoints.revocation, READER, { token })).status).toBe(200);
    expect((await post(provider.endpoints.introspection, RESOURCE_SERVER, { token })).body).toEqual({ active: false });
    const asked = provider.introspections;

    vi.setSystemTime(Date.now() + 29_000);
    expect((await get(url, `Bearer tenant-1:${token}`)).status).toBe(200);
    expect(provider.introspections).toBe(asked);

    vi.setSystemTime(Date.now() + 2_000);
    expect(await refusalOf(url, `Bearer tenant-1:${token}`)).toEqual(NOT_ACTIVE);
    expect(provider.introspections).toBe(asked + 1);
  });
});

describe('private_key_jwt', () => {
  it('authenticates the resource server to oidc-provider with a signed assertion (through Koa)', async () => {
    const url = await started(FRAMEWORKS.Koa(authenticator({ clientId: INTROSPECTORS.keyed.clientId, privateKey: keyed.privateJwk }), undefined));
    const token = await tokenOf('opaque-reader');
    const answer = await get(url, `Bearer tenant-1:${token}`);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { tenant: 'tenant-1', client: 'opaque-reader' } });
    expect(await refusalOf(url, `Bearer tenant-2:${token}`)).toEqual(FORBIDDEN);
  });

  it('is refused by oidc-provider when signed with another key under the registered kid: 503 issuer_unavailable', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const impostor = { ...(await exportJWK(privateKey)), kid: keyed.privateJwk.kid, alg: 'ES256' };
    const url = await started(FRAMEWORKS.Koa(authenticator({ clientId: INTROSPECTORS.keyed.clientId, privateKey: impostor }), undefined));
    const before = provider.introspections;
    expect(await refusalOf(url, `Bearer tenant-1:${await tokenOf('opaque-reader')}`)).toEqual(UNAVAILABLE);
    expect([provider.introspections - before, events.findLast((event) => event.type === 'rejected')]).toEqual([1, expect.objectContaining({ reason: expect.stringContaining('answered with HTTP 401') })]);
  });
});

describe('oidc-provider down', () => {
  it('answers a first-seen token with 503 issuer_unavailable (through Fastify), and the token is in no event or message', async () => {
    const down = await startProvider();
    const auth = authenticator(withSecret(), down.issuer);
    const url = await started(FRAMEWORKS.Fastify(auth, undefined));
    expect((await get(url, `Bearer tenant-1:${await tokenOf('opaque-reader', down)}`)).status).toBe(200);
    const unseen = await tokenOf('opaque-reader', down);
    await down.app.close();

    const from = events.length;
    const answer = await get(url, `Bearer tenant-1:${unseen}`);
    expect(refusal(answer, from)).toEqual(UNAVAILABLE);
    expect(events.slice(from)).toContainEqual(expect.objectContaining({ type: 'introspection', issuer: down.issuer, ok: false }));
    const thrown: unknown = await auth.authenticate({ authorization: `Bearer tenant-1:${unseen}` }).catch((error: unknown) => error);
    expect(thrown).toMatchObject({ code: 'issuer_unavailable', status: 503 });
    const { message, wwwAuthenticate, cause } = thrown as AuthError;
    expect([JSON.stringify(answer), JSON.stringify(events.slice(from)), message, wwwAuthenticate, String(cause)].filter((text) => text.includes(unseen))).toEqual([]);
  });
});
