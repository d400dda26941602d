// Interop with a certified OpenID Provider: `oidc-provider` (panva/node-oidc-provider, a dev
// dependency) runs in-process on 127.0.0.1 and issues real tokens over HTTP; tenantgate finds it
// through discovery and validates what it issues. Nothing here is signed by the test itself
// except one deliberately unknown-kid token (see the rotation test).
//
// How the provider is configured, from its own source (lib/helpers/defaults.js,
// lib/models/formats/*.js, lib/actions/grants/client_credentials.js, lib/helpers/keystore.js):
// - `features.clientCredentials` enables the grant; `features.resourceIndicators` with
//   `defaultResource` (a plain client_credentials request gets the resource) and
//   `getResourceServerInfo` returning `accessTokenFormat: 'jwt'` makes the access token an
//   RFC 9068 JWT with header `typ: at+jwt`, `aud` = the resource server's `audience`.
// - `extraTokenClaims(ctx, token)` is applied to 'AccessToken' and 'ClientCredentials' tokens
//   (formats/opaque.js) and the JWT format spreads those claims into the payload (formats/jwt.js).
// - Signing keys come from `jwks.keys` at construction. The signing key is the first key of the
//   list matching the algorithm (KeyStore#selectForSign sorts stably by a score that is equal for
//   keys that all carry `alg` and `use`), and every key is published at /jwks. So a rotation is
//   a NEW Provider built with the new key first and the old one still listed, then one without
//   the old key; the HTTP server delegates to whichever provider is current.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuthenticator,
  type AuthenticatorOptions,
  type AuthErrorCode,
  type AuthEvent,
  type Authenticator,
  type AuthResult,
} from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// The parts of oidc-provider's API this file uses. The package ships no type declarations (they
// live in @types/oidc-provider, not installed), so it is loaded through a non-literal specifier
// and typed narrowly here.

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

interface OidcProvider {
  readonly issuer: string;
  /** Koa's `app.callback()`: oidc-provider 9's Provider extends Koa. */
  callback(): NodeHandler;
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): unknown;
}

interface OidcProviderModule {
  Provider: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: { InvalidTarget: new (description?: string) => Error };
}

/** What `extraTokenClaims` receives as its token argument (BaseToken). */
interface ProviderToken {
  kind: string;
  clientId?: string;
}

interface ProviderClient {
  clientId: string;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const RESOURCE = 'https://metrics.example.com';
const AUDIENCE = 'metrics-api';
const POLICY_CLAIM = 'groups';

/** Machine clients and the `groups` the provider puts in their access tokens. */
const MACHINE_CLIENTS = {
  scraper: { secret: 'scraper-secret', groups: ['pref-1234567890-abc', 'pref-9876543210-xyz'] },
  ingester: { secret: 'ingester-secret', groups: ['pref-1234567890-abc'] },
} as const;
type MachineClient = keyof typeof MACHINE_CLIENTS;

/**
 * The API's own login client. Its client_id is the API's audience, so the ID tokens it gets
 * carry `aud: metrics-api` exactly like the access tokens: only the `typ` header tells them apart
 * (RFC 9068 §4, RFC 8725 §3.11). That is the confusion `typ: 'at+jwt'` is there to stop.
 */
const LOGIN_CLIENT = { id: AUDIENCE, secret: 'metrics-api-secret', redirectUri: `${RESOURCE}/callback` };
const ACCOUNT = { sub: 'alice', groups: ['pref-9876543210-xyz'] };

const POLICIES = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }] },
};

interface SigningKey {
  kid: string;
  /** The private JWK given to the provider. */
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, jwk };
}

// ---------------------------------------------------------------------------------------------
// The provider behind one HTTP server, swappable

interface Installed {
  name: string;
  provider: OidcProvider;
  handle: NodeHandler;
  /** kids published at /jwks, in order (the first one signs). */
  kids: string[];
}

let oidc: OidcProviderModule;
let server: Server;
let issuer: string;
let tokenEndpoint: string;
let authorizationEndpoint: string;
let current: Installed;
let keyA: SigningKey;
let keyB: SigningKey;
/** Phase A: only the old key. */
let providerA: Installed;
/** Phase B: the new key first (signs), the old key still published. */
let providerBA: Installed;
/** Phase C: the old key removed. */
let providerB: Installed;
const serverErrors: Error[] = [];
/** JWKS requests dispatched to each provider. */
const jwksServed = new Map<Installed, number>();
/** When set, the next JWKS request is held until released (see the race test). */
let jwksGate: ((dispatch: () => void) => void) | undefined;
const authenticators: Authenticator[] = [];
const restoreConsole: Array<() => void> = [];

function buildProvider(name: string, keys: SigningKey[]): Installed {
  const configuration: Record<string, unknown> = {
    clients: [
      ...Object.entries(MACHINE_CLIENTS).map(([clientId, { secret }]) => ({
        client_id: clientId,
        client_secret: secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      {
        client_id: LOGIN_CLIENT.id,
        client_secret: LOGIN_CLIENT.secret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [LOGIN_CLIENT.redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: keys.map((key) => key.jwk) },
    cookies: { keys: ['interop-test-cookie-key'] },
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Machine clients get the metrics resource without asking; the login client does not
        // (its access token stays an opaque userinfo token).
        defaultResource: async (_ctx: unknown, client: ProviderClient) =>
          client.clientId in MACHINE_CLIENTS ? RESOURCE : undefined,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          if (resourceIndicator !== RESOURCE) throw new oidc.errors.InvalidTarget();
          return {
            scope: 'metrics:read metrics:write',
            audience: AUDIENCE,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 3600,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // The policy claim, per client, on client-credentials access tokens.
    extraTokenClaims: async (_ctx: unknown, token: ProviderToken) => {
      if (token.kind !== 'ClientCredentials' || token.clientId === undefined) return undefined;
      const client = MACHINE_CLIENTS[token.clientId as MachineClient] as (typeof MACHINE_CLIENTS)[MachineClient] | undefined;
      return client === undefined ? undefined : { [POLICY_CLAIM]: [...client.groups] };
    },
    // The login client's ID tokens carry the same claim (scope `groups`).
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, [POLICY_CLAIM]: [...ACCOUNT.groups] }),
    }),
    claims: { openid: ['sub'], [POLICY_CLAIM]: [POLICY_CLAIM] },
    // Put scope claims in the ID token even though an access token is issued too.
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 3600,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
  };
  const provider = new oidc.Provider(issuer, configuration);
  provider.on('server_error', (_ctx, error) => serverErrors.push(error));
  return { name, provider, handle: provider.callback(), kids: keys.map((key) => key.kid) };
}

function install(next: Installed): void {
  current = next;
}

// ---------------------------------------------------------------------------------------------
// Talking to the provider

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(password)}`).toString('base64')}`;
}

function stringField(body: unknown, field: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') throw new Error(`the provider's answer has no string "${field}": ${JSON.stringify(body)}`);
  return value;
}

async function postToken(clientId: string, secret: string, parameters: Record<string, string>): Promise<unknown> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(parameters),
  });
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A fresh client-credentials access token from the current provider. */
async function accessToken(client: MachineClient = 'scraper'): Promise<string> {
  const body = await postToken(client, MACHINE_CLIENTS[client].secret, {
    grant_type: 'client_credentials',
    scope: 'metrics:read metrics:write',
  });
  expect(stringField(body, 'token_type')).toBe('Bearer');
  return stringField(body, 'access_token');
}

/**
 * A real ID token: the authorization code flow of the login client, driven over HTTP through
 * the provider's bundled development interactions (login form, then consent form), with PKCE,
 * then the code exchanged at the token endpoint.
 */
async function idToken(): Promise<string> {
  const jar = new Map<string, string>();
  const verifier = randomBytes(32).toString('base64url');
  const authorization = new URL(authorizationEndpoint);
  authorization.search = new URLSearchParams({
    client_id: LOGIN_CLIENT.id,
    response_type: 'code',
    scope: `openid ${POLICY_CLAIM}`,
    redirect_uri: LOGIN_CLIENT.redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
  }).toString();

  let url = authorization.href;
  let form: URLSearchParams | undefined;
  let code: string | undefined;
  for (let step = 0; step < 16 && code === undefined; step += 1) {
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      body: form,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const target = new URL(location, url);
      if (target.href.startsWith(LOGIN_CLIENT.redirectUri)) {
        expect(target.searchParams.get('error')).toBeNull();
        code = target.searchParams.get('code') ?? undefined;
      }
      url = target.href;
      form = undefined;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`the authorization flow got ${response.status} at ${url}: ${html}`);
    const action = /<form[^>]*\baction="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (action === undefined || prompt === undefined) throw new Error(`no interaction form at ${url}: ${html}`);
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    form = new URLSearchParams(prompt === 'login' ? { prompt, login: ACCOUNT.sub, password: 'any' } : { prompt });
  }
  if (code === undefined) throw new Error('the authorization flow did not reach the redirect URI');
  const body = await postToken(LOGIN_CLIENT.id, LOGIN_CLIENT.secret, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: LOGIN_CLIENT.redirectUri,
    code_verifier: verifier,
  });
  return stringField(body, 'id_token');
}

function kidOf(token: string): string {
  const { kid } = decodeProtectedHeader(token);
  if (typeof kid !== 'string') throw new Error('token without kid');
  return kid;
}

// ---------------------------------------------------------------------------------------------
// tenantgate

function authenticator(overrides: Partial<AuthenticatorOptions> = {}): Authenticator {
  const auth = createAuthenticator({
    issuerUrl: issuer,
    audience: AUDIENCE,
    accessPolicyClaim: POLICY_CLAIM,
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: POLICIES,
    typ: 'at+jwt',
    ...overrides,
  });
  authenticators.push(auth);
  return auth;
}

/** The AuthError `attempt` rejects with (fails the test when it resolves or throws another). */
async function refusal(attempt: Promise<unknown>): Promise<AuthError> {
  try {
    await attempt;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected tenantgate to refuse, but it accepted');
}

function bearer(tenant: string, token: string): { authorization: string } {
  return { authorization: `Bearer ${tenant}:${token}` };
}

/** Resolves when `predicate` becomes true; `check()` re-evaluates it. */
function condition(predicate: () => boolean): { promise: Promise<void>; check: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  const check = () => {
    if (predicate()) resolve();
  };
  return { promise, check };
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  // oidc-provider prints development notices (dev interactions, runtime version) through
  // console.warn/console.info with an "oidc-provider " prefix; keep them out of the test output.
  for (const method of ['warn', 'info'] as const) {
    const original = console[method].bind(console);
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider ')) return;
      original(...args);
    });
    restoreConsole.push(() => spy.mockRestore());
  }
  const specifier = 'oidc-provider';
  oidc = (await import(specifier)) as OidcProviderModule;

  server = createServer((req, res) => {
    const target = current;
    const dispatch = () => void target.handle(req, res);
    if (req.url?.startsWith('/jwks') === true) {
      jwksServed.set(target, (jwksServed.get(target) ?? 0) + 1);
      const gate = jwksGate;
      if (gate !== undefined) {
        jwksGate = undefined;
        gate(dispatch);
        return;
      }
    }
    dispatch();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  [keyA, keyB] = await Promise.all([signingKey('key-a'), signingKey('key-b')]);
  providerA = buildProvider('A', [keyA]);
  providerBA = buildProvider('B', [keyB, keyA]);
  providerB = buildProvider('C', [keyB]);
  install(providerA);

  const discovery: unknown = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  expect(stringField(discovery, 'issuer')).toBe(issuer);
  tokenEndpoint = stringField(discovery, 'token_endpoint');
  authorizationEndpoint = stringField(discovery, 'authorization_endpoint');
});

afterAll(async () => {
  await Promise.all(authenticators.map((auth) => auth.close()));
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  for (const restore of restoreConsole) restore();
  // Nothing the tests sent made the provider fail internally.
  expect(serverErrors).toEqual([]);
});

describe('tenantgate against oidc-provider (a certified OpenID Provider)', () => {
  it('validates client-credentials JWT access tokens found through discovery, with the policy claim from extraTokenClaims', async () => {
    install(providerA);
    const auth = authenticator();
    const token = await accessToken('scraper');

    // What the provider issued: an RFC 9068 access token for the metrics resource.
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256', kid: keyA.kid });
    expect(decodeJwt(token)).toMatchObject({
      iss: issuer,
      aud: AUDIENCE,
      client_id: 'scraper',
      sub: 'scraper',
      scope: 'metrics:read metrics:write',
      [POLICY_CLAIM]: MACHINE_CLIENTS.scraper.groups,
    });

    const result: AuthResult = await auth.authenticate(bearer('tenant-1', token));
    expect(result.tenant).toBe('tenant-1');
    expect(result.tenants).toEqual(['tenant-1']);
    expect(result.subject).toBe('scraper');
    expect(result.token).toBe(token);
    expect(result.claims.client_id).toBe('scraper');
    expect(result.policyNames).toEqual(['1234567890', '9876543210']);
    expect(result.accessPolicy.name).toBe('virtual:1234567890,9876543210');
    expect(result.accessPolicy.virtual).toBe(true);
    expect(result.accessPolicy.scopes).toEqual(['metrics:read']); // virtual policies are read-only
    expect([...result.accessPolicy.tenants].sort()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
    expect(result.expiresAt.getTime()).toBe((decodeJwt(token).exp ?? 0) * 1000);
    auth.authorize(result, { scope: 'metrics:read' });
    expect(() => auth.authorize(result, { scope: 'metrics:write' })).toThrow(
      expect.objectContaining({ code: 'insufficient_scope', status: 403 }),
    );

    // The same token as the password of HTTP Basic auth, the username naming the tenant.
    const viaBasic = await auth.authenticate({ authorization: basic('tenant-3', token) });
    expect(viaBasic.tenant).toBe('tenant-3');
    expect(viaBasic.policyNames).toEqual(['1234567890', '9876543210']);

    // A tenant no policy covers.
    const forbidden = await refusal(auth.authenticate(bearer('tenant-4', token)));
    expect(forbidden).toMatchObject({ code: 'tenant_forbidden', status: 403 });
    const forbiddenBasic = await refusal(auth.authenticate({ authorization: basic('tenant-4', token) }));
    expect(forbiddenBasic).toMatchObject({ code: 'tenant_forbidden', status: 403 });

    // Another client with a single group: that policy, unchanged, write scope included.
    const ingester = await auth.authenticate(bearer('tenant-1', await accessToken('ingester')));
    expect(ingester.policyNames).toEqual(['1234567890']);
    expect(ingester.accessPolicy).toMatchObject({ name: '1234567890', virtual: false });
    auth.authorize(ingester, { scope: 'metrics:write' });
    const notIngesters = await refusal(auth.authenticate(bearer('tenant-2', await accessToken('ingester'))));
    expect(notIngesters).toMatchObject({ code: 'tenant_forbidden', status: 403 });
  });

  it('keeps accepting while the provider rotates its signing key under traffic, and rejects old-key tokens once the old key is gone', { timeout: 30_000 }, async () => {
    type Phase = 'A' | 'B' | 'C';
    let phase: Phase = 'A';
    install(providerA);
    const auth = authenticator({ jwks: { cooldown: 0 } });

    interface Outcome {
      kid: string;
      /** Phases in which the call started and ended. */
      started: Phase;
      ended: Phase;
      /** Whether the token's key was published by the provider for the whole call. */
      keyPublished: boolean;
      code: AuthErrorCode | undefined;
    }
    const outcomes: Outcome[] = [];
    const acceptedWithKid = (kid: string, inPhase: Phase) =>
      outcomes.filter((o) => o.code === undefined && o.kid === kid && o.started === inPhase && o.ended === inPhase).length;
    const waiters = new Set<() => void>();
    const progress = (predicate: () => boolean): Promise<void> => {
      const waiter = condition(predicate);
      waiters.add(waiter.check);
      waiter.check();
      // A failing worker (the provider refusing to issue, say) fails the wait instead of hanging it.
      return Promise.race([waiter.promise, trafficFailed]).finally(() => waiters.delete(waiter.check));
    };

    const call = async (token: string, tenant = 'tenant-1'): Promise<Outcome> => {
      const kid = kidOf(token);
      const started = phase;
      const publishedAtStart = current.kids.includes(kid);
      let code: AuthErrorCode | undefined;
      try {
        await auth.authenticate(bearer(tenant, token));
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        code = error.code;
      }
      const outcome = { kid, started, ended: phase, keyPublished: publishedAtStart && current.kids.includes(kid), code };
      outcomes.push(outcome);
      for (const check of waiters) check();
      return outcome;
    };

    // Requests keep flowing: each iteration gets a new token from the provider, so the
    // verified-token cache never answers for traffic.
    let stopped = false;
    const worker = async () => {
      while (!stopped) await call(await accessToken());
    };
    const traffic = Promise.all([worker(), worker(), worker()]);
    const trafficFailed = traffic.then(() => new Promise<never>(() => {}));
    trafficFailed.catch(() => {}); // reported by `await traffic` below
    try {
      // Phase A: only the old key.
      await progress(() => acceptedWithKid(keyA.kid, 'A') >= 15);
      const cachedOld = await accessToken();
      await call(cachedOld); // verified and cached under the old key
      const unseenOld = await Promise.all(Array.from({ length: 12 }, () => accessToken()));

      // Phase B: a new provider instance signs with the new key and still publishes the old one.
      install(providerBA);
      phase = 'B';
      const oldInB = Promise.all([...unseenOld.slice(1).map((token) => call(token)), call(cachedOld)]);
      await progress(() => acceptedWithKid(keyB.kid, 'B') >= 15);
      await oldInB;
      // The unknown new kid made tenantgate fetch the phase-B JWKS.
      expect(jwksServed.get(providerBA) ?? 0).toBeGreaterThan(0);

      // Phase C: the old key is removed.
      install(providerB);
      phase = 'C';
      // Make tenantgate look at the JWKS again: a token whose kid it does not know (signed by a
      // key the provider never had) triggers a refetch with cooldown 0, and is itself refused.
      const { privateKey: strangerKey } = await generateKeyPair('RS256');
      const stranger = await new SignJWT({ [POLICY_CLAIM]: ['pref-1234567890-x'], client_id: 'scraper' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'key-unknown' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject('scraper')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(strangerKey);
      const servedByCBefore = jwksServed.get(providerB) ?? 0;
      expect(await refusal(auth.authenticate(bearer('tenant-1', stranger)))).toMatchObject({ code: 'key_not_found', status: 401 });
      expect(jwksServed.get(providerB) ?? 0).toBeGreaterThan(servedByCBefore);

      // The old-key token verified and cached in phase A is refused now, as is an unseen one.
      const oldAfterRemoval = [await call(cachedOld), await call(unseenOld[0] ?? cachedOld)];
      expect(oldAfterRemoval.map((o) => o.code)).toEqual(['key_not_found', 'key_not_found']);
      // and stays refused (a refusal is never cached as a success).
      expect(await refusal(auth.authenticate(bearer('tenant-1', cachedOld)))).toMatchObject({ code: 'key_not_found', status: 401 });

      await progress(() => acceptedWithKid(keyB.kid, 'C') >= 15);
    } finally {
      stopped = true;
      await traffic;
    }

    const falseRejections = outcomes.filter((o) => o.code !== undefined && o.keyPublished);
    const rejectedInB = outcomes.filter((o) => o.code !== undefined && (o.started === 'B' || o.ended === 'B'));
    expect(falseRejections).toEqual([]);
    expect(rejectedInB).toEqual([]);
    // Phase B really exercised both keys: old-key tokens obtained before the swap (one of them
    // cached, the others never seen) and new-key tokens.
    expect(acceptedWithKid(keyA.kid, 'B')).toBeGreaterThanOrEqual(12);
    expect(acceptedWithKid(keyB.kid, 'B')).toBeGreaterThanOrEqual(15);
    // The only rejections at all: old-key tokens after the removal.
    const rejected = outcomes.filter((o) => o.code !== undefined);
    expect(rejected.map((o) => [o.kid, o.code])).toEqual([
      [keyA.kid, 'key_not_found'],
      [keyA.kid, 'key_not_found'],
    ]);
  });

  it('notices a removed key at the next refresh after jwks.maxAge, even for a token it had cached', async () => {
    install(providerA);
    const oldToken = await accessToken();
    install(providerBA);

    let refetchedFromC: (() => void) | undefined;
    let servedByC = Number.POSITIVE_INFINITY;
    const auth = authenticator({
      jwks: { cooldown: 0, maxAge: '1ms' },
      onEvent: (event: AuthEvent) => {
        // JWKS fetches of one authenticator are single-flight, so the first successful refresh
        // after a JWKS request reached the phase-C provider is that request's.
        if (event.type === 'jwks_refresh' && event.ok && (jwksServed.get(providerB) ?? 0) > servedByC) refetchedFromC?.();
      },
    });

    const first = await auth.authenticate(bearer('tenant-2', oldToken));
    expect(first.policyNames).toEqual(['1234567890', '9876543210']);
    expect((await auth.authenticate(bearer('tenant-2', await accessToken()))).tenant).toBe('tenant-2');

    servedByC = jwksServed.get(providerB) ?? 0;
    const refetched = new Promise<void>((resolve) => {
      refetchedFromC = resolve;
    });
    let landed = false;
    void refetched.then(() => {
      landed = true;
    });
    install(providerB);
    // Requests keep coming. Each finds the keys older than maxAge and starts a background refresh
    // unless one is in flight (one started before the swap may still be); meanwhile answers come
    // from the keys held, which is what stale-while-revalidate means.
    while (!landed) await auth.authenticate(bearer('tenant-2', await accessToken()));

    const gone = await refusal(auth.authenticate(bearer('tenant-2', oldToken)));
    expect(gone).toMatchObject({ code: 'key_not_found', status: 401 });
    expect((await auth.authenticate(bearer('tenant-2', await accessToken()))).claims.iss).toBe(issuer);
  });

  it('accepts a new-kid token even when a JWKS fetch that started before the rotation is still in flight', async () => {
    install(providerA);
    const auth = authenticator({ jwks: { cooldown: 0, maxAge: '1ms' } });
    await auth.authenticate(bearer('tenant-1', await accessToken()));

    // Hold the next JWKS request (it reaches the phase-A provider) until the rotation is done.
    let arrived!: (dispatch: () => void) => void;
    const held = new Promise<() => void>((resolve) => {
      arrived = resolve;
    });
    jwksGate = arrived;
    // Keys older than maxAge: this request starts a background refresh, and is answered meanwhile.
    await auth.authenticate(bearer('tenant-1', await accessToken()));
    const release = await held;

    install(providerBA);
    const newKidToken = await accessToken();
    expect(kidOf(newKidToken)).toBe(keyB.kid);
    const pending = auth.authenticate(bearer('tenant-1', newKidToken)).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
    // Let the call run up to the point where it waits for keys: everything before that is
    // synchronous or microtasks, which all run before a setImmediate callback.
    await new Promise<void>((resolve) => setImmediate(resolve));
    release();

    // The new key was published before the token was issued, and cooldown is 0: tenantgate must
    // not answer from a JWKS document fetched before the token existed.
    const outcome = await pending;
    expect(outcome.error === undefined ? undefined : (outcome.error as AuthError).code).toBeUndefined();
    expect(outcome.result?.policyNames).toEqual(['1234567890', '9876543210']);
  });

  it("rejects the provider's ID tokens where typ checking is on, and accepts them where it is off", { timeout: 15_000 }, async () => {
    install(providerBA);
    const token = await idToken();

    // A real OIDC ID token from the provider: same issuer, same key, `aud` = the login client,
    // which is the API's audience; no `typ: at+jwt` header.
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', kid: keyB.kid });
    expect(header.typ === undefined || header.typ === 'JWT').toBe(true);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: issuer, aud: AUDIENCE, sub: ACCOUNT.sub, [POLICY_CLAIM]: ACCOUNT.groups });
    expect(typeof claims.nonce).toBe('string');

    const strict = authenticator();
    const refused = await refusal(strict.authenticate(bearer('tenant-2', token)));
    expect(refused).toMatchObject({ code: 'invalid_token', status: 401 });
    expect(refused.wwwAuthenticate).toContain('error="invalid_token"');
    const refusedBasic = await refusal(strict.authenticate({ authorization: basic('tenant-2', token) }));
    expect(refusedBasic).toMatchObject({ code: 'invalid_token', status: 401 });
    // The same authenticator still takes the provider's access tokens.
    expect((await strict.authenticate(bearer('tenant-2', await accessToken()))).tenant).toBe('tenant-2');

    const lax = authenticator({ typ: undefined });
    const accepted = await lax.authenticate(bearer('tenant-2', token));
    expect(accepted.subject).toBe(ACCOUNT.sub);
    expect(accepted.policyNames).toEqual(['9876543210']);
    expect(accepted.accessPolicy).toMatchObject({ name: '9876543210', virtual: false });
  });
});
