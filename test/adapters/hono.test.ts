// tenantgate/hono with real Hono apps on @hono/node-server, over HTTP.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponse, middleware, type HonoMiddlewareOptions, type TenantgateEnv } from '../../src/adapters/hono.js';
import { AuthError, ConfigError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';
import { echo, readOrWrite, runMatrix, type Authenticators, type RunningApp, type ScopeForm } from './fetch-hono-nest.matrix.js';
import { everyRefusal, expressRefusals, refusingAuthenticator, wireRefusalOf } from './fetch-hono-nest.refusals.js';

async function serveHono(app: Hono<TenantgateEnv>): Promise<{ url: string; close(): Promise<void> }> {
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startHono(auths: Authenticators, scopeForm: ScopeForm): Promise<RunningApp> {
  const app = new Hono<TenantgateEnv>();
  app.get('/health', (c) => c.json({ ok: true }));
  if (scopeForm === 'function') {
    const protect = middleware(auths.main, { scope: (c) => readOrWrite(c.req.method) });
    app.get('/metrics', protect, (c) => c.json(echo(c.get('auth'))));
    app.post('/push', protect, (c) => c.json(echo(c.get('auth'))));
  } else {
    app.get('/metrics', middleware(auths.main, { scope: 'metrics:read' }), (c) => c.json(echo(c.get('auth'))));
    app.post('/push', middleware(auths.main, { scope: 'metrics:write' }), (c) => c.json(echo(c.get('auth'))));
  }
  app.use('/tenant-header/*', middleware(auths.tenantHeader, { scope: 'metrics:read' }));
  app.get('/tenant-header/metrics', (c) => c.json(echo(c.get('auth'))));
  app.use('/down/*', middleware(auths.down, { scope: 'metrics:read' }));
  app.get('/down/metrics', (c) => c.json(echo(c.get('auth'))));
  const running = await serveHono(app);
  return { at: (path) => `${running.url}${path}`, close: () => running.close() };
}

describe('tenantgate/hono behaviour table', () => {
  runMatrix([
    { name: 'Hono 4, scope strings', scopeForm: 'string', start: startHono },
    { name: 'Hono 4, scope function', scopeForm: 'function', start: startHono },
  ]);
});

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await issuer?.close();
});

describe('Hono refusals', () => {
  it('are the bytes the Express middleware sends, for every error code', async () => {
    const fromExpress = await expressRefusals();
    let current = everyRefusal()[0] as AuthError;
    const app = new Hono<TenantgateEnv>();
    app.get('/', middleware(refusingAuthenticator(() => current)), (c) => c.text('accepted'));
    const running = await serveHono(app);
    try {
      for (const refusal of everyRefusal()) {
        current = refusal;
        expect(await wireRefusalOf(await fetch(`${running.url}/`)), refusal.code).toEqual(fromExpress.get(refusal.code));
      }
    } finally {
      await running.close();
    }
  });

  it('hand what a scope function throws to app.onError, and errorResponse answers a refusal there too', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    const app = new Hono<TenantgateEnv>();
    app.onError((error, c) => (error instanceof AuthError ? errorResponse(error) : c.json({ handledBy: 'onError', message: error.message }, 500)));
    const failing: HonoMiddlewareOptions = {
      scope: () => {
        throw new Error('the scope function failed');
      },
    };
    app.get('/fails', middleware(auth, failing), (c) => c.text('never'));
    const running = await serveHono(app);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const reply = await fetch(`${running.url}/fails`, { headers: { authorization: `Bearer tenant-1:${token}` } });
      expect(reply.status).toBe(500);
      expect(await reply.json()).toEqual({ handledBy: 'onError', message: 'the scope function failed' });
    }
    await running.close();
    await auth.close();
  });
});

describe('Hono middleware() checks its options at once', () => {
  const problemsOf = (make: () => unknown): string[] => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  };

  it('refuses `scopes`, a scope list, forwardTenantHeader, and a missing authenticator', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    expect(problemsOf(() => middleware(auth, { scopes: 'metrics:write' } as HonoMiddlewareOptions))).toStrictEqual([
      '`scopes` is not an option (did you mean `scope`?).',
    ]);
    expect(problemsOf(() => middleware(auth, { scope: ['metrics:read'] } as unknown as HonoMiddlewareOptions))).toStrictEqual([
      '`scope` must be a scope such as "metrics:read", or a function of the request returning one; got a list.',
    ]);
    expect(problemsOf(() => middleware(auth, { forwardTenantHeader: 'x-scope-orgid' } as HonoMiddlewareOptions))).toStrictEqual([
      '`forwardTenantHeader` is not an option.',
    ]);
    expect(problemsOf(() => middleware(undefined as unknown as Authenticator))).toStrictEqual([
      'The authenticator is required: pass an authenticator made by createAuthenticator() as the first argument of middleware().',
    ]);
    expect(typeof middleware(auth, { scope: 'metrics:read', requestUrl: () => undefined, clientCertificate: () => undefined })).toBe('function');
    await auth.close();
  });
});

describe('Hono same tick', () => {
  it('goes on to the handler in the same tick once the token is cached', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    const app = new Hono<TenantgateEnv & { Variables: { queued: { ran: boolean } } }>();
    const mark: MiddlewareHandler<{ Variables: { queued: { ran: boolean } } }> = (c, next) => {
      const state = { ran: false };
      c.set('queued', state);
      queueMicrotask(() => {
        state.ran = true;
      });
      return next();
    };
    app.get('/metrics', mark, middleware(auth, { scope: 'metrics:read' }), (c) => c.json({ sameTick: !c.get('queued').ran, tenant: c.get('auth').tenant }));
    const running = await serveHono(app as unknown as Hono<TenantgateEnv>);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const ask = async () => (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer tenant-1:${token}` } })).json();
    expect(await ask()).toEqual({ sameTick: false, tenant: 'tenant-1' });
    expect(await ask()).toEqual({ sameTick: true, tenant: 'tenant-1' });
    await running.close();
    await auth.close();
  });
});

describe('Hono protected resource metadata', () => {
  it('serves the document at the well-known path, unauthenticated, and names it in challenges', async () => {
    const auth = createAuthenticator(optionsFor(issuer, { ...READER, resourceMetadata: { resource: 'https://metrics.example.com/api', scopesSupported: ['metrics:read'] } }));
    const app = new Hono<TenantgateEnv>();
    app.use('*', middleware(auth));
    app.get('/api/v1/query', (c) => c.json({ tenant: c.get('auth').tenant }));
    const running = await serveHono(app);
    const path = '/.well-known/oauth-protected-resource/api';
    const document = await fetch(`${running.url}${path}`, { headers: { authorization: 'Bearer t:nonsense' } });
    expect(document.status).toBe(200);
    expect(document.headers.get('content-type')).toBe('application/json');
    expect(await document.json()).toEqual({
      resource: 'https://metrics.example.com/api',
      authorization_servers: [issuer.url],
      bearer_methods_supported: ['header'],
      scopes_supported: ['metrics:read'],
      dpop_bound_access_tokens_required: false,
    });
    const head = await fetch(`${running.url}${path}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${running.url}${path}`, { method: 'POST' })).status).toBe(401);
    const refused = await fetch(`${running.url}/api/v1/query`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="tenantgate", resource_metadata="https://metrics.example.com/.well-known/oauth-protected-resource/api", ' +
        'Basic realm="tenantgate", charset="UTF-8"',
    );
    await running.close();
    await auth.close();
  });

  it('changes nothing without the option', async () => {
    const auth: Authenticator = createAuthenticator(optionsFor(issuer, READER));
    const app = new Hono<TenantgateEnv>();
    app.use('*', middleware(auth));
    const running = await serveHono(app);
    const metadata = await fetch(`${running.url}/.well-known/oauth-protected-resource`);
    expect(metadata.status).toBe(401);
    expect(metadata.headers.get('www-authenticate')).toBe('Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"');
    await running.close();
    await auth.close();
  });
});
