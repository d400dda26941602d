// Two real OpenID Providers side by side (two oidc-provider instances on 127.0.0.1), trusted by
// one authenticator through `issuers`, each with its own audience and policy mapping, behind a
// real Express app. Tokens are the providers' own (client credentials, RFC 9068 JWT access
// tokens, configured as in oidc-provider-fixtures.ts); a third provider that is not trusted
// shows that an unknown `iss` is refused before any fetch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../src/index.js';
import { basic, FRAMEWORKS, listen, send, type App, type OidcProvider } from './oidc-provider-fixtures.js';

interface ProviderModule {
  Provider: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: { InvalidTarget: new (description?: string) => Error };
}

const RESOURCE = 'https://metrics.example.com';

/** A provider issuing JWT access tokens for RESOURCE with `audience` to the client `reader`, whose groups are `groups`. */
async function plainProvider(issuer: string, audience: string, groups: string[]): Promise<OidcProvider> {
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as ProviderModule;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return new oidc.Provider(issuer, {
    clients: [{ client_id: 'reader', client_secret: 'reader-secret', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: `${audience}-key`, alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['interop-test-cookie-key'] },
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource !== RESOURCE) throw new oidc.errors.InvalidTarget();
          return { scope: 'metrics:read', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    extraTokenClaims: async (_ctx: unknown, token: { kind: string }) => (token.kind === 'ClientCredentials' ? { groups } : undefined),
  });
}

interface Running {
  url: string;
  requests: number;
  app: App;
}

/** A provider on its own port, counting the requests it serves. */
async function startProvider(audience: string, groups: string[]): Promise<Running> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  const running = { url: '', requests: 0 } as Running;
  running.app = await listen((req, res) => {
    running.requests += 1;
    void handle?.(req, res);
  });
  running.url = running.app.url;
  handle = (await plainProvider(running.url, audience, groups)).callback();
  return running;
}

async function tokenFrom(provider: Running): Promise<string> {
  const answer = await send(`${provider.url}/token`, {
    method: 'POST',
    headers: { authorization: basic('reader', 'reader-secret'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'metrics:read' }).toString(),
  });
  expect(answer.status).toBe(200);
  return String(answer.body.access_token);
}

describe('two real issuers, each with its own settings', () => {
  let one: Running;
  let two: Running;
  let rogue: Running;
  let auth: Authenticator;
  let app: App;
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    for (const method of ['warn', 'info'] as const) {
      const original = console[method].bind(console);
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        if (typeof args[0] === 'string' && args[0].includes('oidc-provider')) return;
        original(...args);
      });
      restore.push(() => spy.mockRestore());
    }
    [one, two, rogue] = await Promise.all([
      startProvider('api-one', ['pref-1234567890-abc']),
      startProvider('api-two', ['team-ops']),
      startProvider('api-one', ['pref-1234567890-abc']),
    ]);
    auth = createAuthenticator({
      issuers: [
        { issuerUrl: one.url, audience: 'api-one' },
        { issuerUrl: two.url, audience: 'api-two', accessPolicyRegex: '^team-(.*)$' },
      ],
      accessPolicyClaim: 'groups',
      accessPolicyRegex: 'pref-([0-9]+)-.*',
      accessPolicies: {
        '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] },
        ops: { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-2' }] },
      },
      allowInsecureHttp: true,
    });
    app = await FRAMEWORKS.Express(auth, undefined);
  });

  afterAll(async () => {
    await auth.close();
    await Promise.all([app, one.app, two.app, rogue.app].map((each) => each.close()));
    for (const undo of restore) undo();
  });

  it("accepts each issuer's tokens with that issuer's audience and mapping, and not the other's", async () => {
    const [fromOne, fromTwo] = await Promise.all([tokenFrom(one), tokenFrom(two)]);
    expect((await send(`${app.url}/data`, { headers: { authorization: `Bearer tenant-1:${fromOne}` } })).body).toMatchObject({ tenant: 'tenant-1' });
    expect((await send(`${app.url}/data`, { headers: { authorization: `Bearer tenant-2:${fromTwo}` } })).body).toMatchObject({ tenant: 'tenant-2' });
    // Each token maps through its own issuer's regex only.
    const crossed = await send(`${app.url}/data`, { headers: { authorization: `Bearer tenant-2:${fromOne}` } });
    expect(crossed.status).toBe(403);
    expect(auth.status().issuers.map((status) => [status.issuer, status.ready])).toEqual([
      [one.url, true],
      [two.url, true],
    ]);
  });

  it('refuses a third issuer it does not trust without asking it or the others anything', async () => {
    const fromRogue = await tokenFrom(rogue);
    const before = [one.requests, two.requests, rogue.requests];
    const refused = await send(`${app.url}/data`, { headers: { authorization: `Bearer tenant-1:${fromRogue}` } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'invalid_token' });
    expect(refused.wwwAuthenticate).toMatch(/not issued by a trusted issuer/);
    expect([one.requests, two.requests, rogue.requests]).toEqual(before);
  });
});
