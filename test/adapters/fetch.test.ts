// tenantgate/fetch over real HTTP: a plain Web `fetch` handler, served on Node by
// @hono/node-server's request listener (as Bun.serve or Deno.serve would call it).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequest, errorResponse, metadataResponse, type FetchOptions } from '../../src/adapters/fetch.js';
import { AuthError, ConfigError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER, refusalOf } from '../fixtures.js';
import { echo, readOrWrite, runMatrix, type Authenticators, type RunningApp, type ScopeForm } from './fetch-hono-nest.matrix.js';
import { everyRefusal, expressRefusals, wireRefusalOf } from './fetch-hono-nest.refusals.js';

type Handler = (request: Request) => Promise<Response>;

async function serveFetch(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(getRequestListener(handler));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A handler protecting one route per key (`GET /metrics`) with its authenticator and options. */
function protect(routes: Record<string, [Authenticator, FetchOptions]>, publicPaths: Record<string, unknown> = {}): Handler {
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (Object.hasOwn(publicPaths, pathname)) return Response.json(publicPaths[pathname]);
    const route = routes[`${request.method} ${pathname}`];
    if (route === undefined) return new Response(null, { status: 404 });
    try {
      return Response.json(echo(await authenticateRequest(route[0], request, route[1])));
    } catch (error) {
      if (error instanceof AuthError) return errorResponse(error);
      throw error;
    }
  };
}

async function startFetch(auths: Authenticators, scopeForm: ScopeForm): Promise<RunningApp> {
  const byMethod: FetchOptions = { scope: (request) => readOrWrite(request.method) };
  const app = await serveFetch(
    protect(
      {
        'GET /metrics': [auths.main, scopeForm === 'function' ? byMethod : { scope: 'metrics:read' }],
        'POST /push': [auths.main, scopeForm === 'function' ? byMethod : { scope: 'metrics:write' }],
        'GET /tenant-header/metrics': [auths.tenantHeader, { scope: 'metrics:read' }],
        'GET /down/metrics': [auths.down, { scope: 'metrics:read' }],
      },
      { '/health': { ok: true } },
    ),
  );
  return { at: (path) => `${app.url}${path}`, close: () => app.close() };
}

describe('tenantgate/fetch behaviour table', () => {
  runMatrix([
    { name: 'fetch handler, scope strings', scopeForm: 'string', start: startFetch },
    { name: 'fetch handler, scope function', scopeForm: 'function', start: startFetch },
  ]);
});

describe('errorResponse', () => {
  it('sends the status, headers and body bytes the Express middleware sends, for every error code', async () => {
    const fromExpress = await expressRefusals();
    const refusals = everyRefusal();
    expect(refusals.map((refusal) => refusal.status).sort()).toContain(503);
    for (const refusal of refusals) {
      const response = errorResponse(refusal);
      const wire = await wireRefusalOf(response);
      expect(wire, refusal.code).toEqual(fromExpress.get(refusal.code));
      expect(wire.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(wire.body)).toEqual({ error: refusal.oauthError ?? 'unauthorized', error_description: refusal.message });
    }
    expect(fromExpress.get('issuer_unavailable')?.headers['retry-after']).toBe('17');
    expect(fromExpress.get('insufficient_scope')?.headers['www-authenticate']).toContain('scope="metrics:write"');
  });
});

describe('authenticateRequest', () => {
  let issuer: TestIssuer;
  let auth: Authenticator;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuthenticator(optionsFor(issuer, READER));
  });

  afterAll(async () => {
    await auth?.close();
    await issuer?.close();
  });

  const get = (headers: Record<string, string> = {}, url = 'https://api.example.com/data') => new Request(url, { headers });

  it('resolves the result, and rejects a refusal with its AuthError', async () => {
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const result = await authenticateRequest(auth, get({ authorization: `Bearer tenant-1:${token}` }), { scope: 'metrics:read' });
    expect(result).toMatchObject({ tenant: 'tenant-1', policyNames: ['reader'] });
    expect(await refusalOf(authenticateRequest(auth, get()))).toMatchObject({ code: 'credentials_missing', status: 401 });
    const write = await refusalOf(authenticateRequest(auth, get({ authorization: `Bearer tenant-1:${token}` }), { scope: 'metrics:write' }));
    expect(write).toMatchObject({ code: 'insufficient_scope', status: 403, scope: 'metrics:write' });
  });

  it('refuses Authorization lines that Headers joined with a comma, as two headers (400)', async () => {
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const headers = new Headers();
    headers.append('authorization', `Bearer tenant-1:${token}`);
    headers.append('authorization', `Bearer tenant-1:${token}`);
    const refusal = await refusalOf(authenticateRequest(auth, new Request('https://api.example.com/data', { headers })));
    expect(refusal).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(refusal.message).toBe('more than one Authorization header was sent');
  });

  it('rejects with a ConfigError for a misspelt option or a missing authenticator, and with what a scope function throws', async () => {
    const typo = await authenticateRequest(auth, get(), { scopes: 'metrics:write' } as FetchOptions).catch((error: unknown) => error);
    expect(typo).toBeInstanceOf(ConfigError);
    expect((typo as ConfigError).problems).toStrictEqual(['`scopes` is not an option (did you mean `scope`?).']);
    const forward = await authenticateRequest(auth, get(), { forwardTenantHeader: 'x-scope-orgid' } as FetchOptions).catch((error: unknown) => error);
    expect((forward as ConfigError).problems).toStrictEqual(['`forwardTenantHeader` is not an option.']);
    const missing = await authenticateRequest(undefined as unknown as Authenticator, get()).catch((error: unknown) => error);
    expect((missing as ConfigError).problems).toStrictEqual([
      'The authenticator is required: pass an authenticator made by createAuthenticator() as the first argument of authenticateRequest().',
    ]);
    const thrown = new Error('the scope function failed');
    const failing = await authenticateRequest(auth, get({ authorization: 'Bearer t:x.y.z' }), {
      scope: () => {
        throw thrown;
      },
    }).catch((error: unknown) => error);
    expect(failing).toBe(thrown);
  });
});

describe('metadataResponse', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer();
  });

  afterAll(async () => {
    await issuer?.close();
  });

  it('answers GET and HEAD at the well-known path when resourceMetadata is set, and nothing else', async () => {
    const auth = createAuthenticator(optionsFor(issuer, { ...READER, resourceMetadata: { resource: 'https://metrics.example.com/api' } }));
    const path = 'https://metrics.example.com/.well-known/oauth-protected-resource/api';
    const document = metadataResponse(auth, new Request(path));
    expect(document?.status).toBe(200);
    expect(document?.headers.get('content-type')).toBe('application/json');
    expect(await document?.json()).toEqual(JSON.parse(JSON.stringify(auth.protectedResourceMetadata())));
    const head = metadataResponse(auth, new Request(path, { method: 'HEAD' }));
    expect(head?.status).toBe(200);
    expect(await head?.text()).toBe('');
    expect(metadataResponse(auth, new Request(path, { method: 'POST' }))).toBeUndefined();
    expect(metadataResponse(auth, new Request('https://metrics.example.com/api/v1/query'))).toBeUndefined();
    await auth.close();
    const without = createAuthenticator(optionsFor(issuer, READER));
    expect(metadataResponse(without, new Request('https://metrics.example.com/.well-known/oauth-protected-resource'))).toBeUndefined();
    await without.close();
  });
});
