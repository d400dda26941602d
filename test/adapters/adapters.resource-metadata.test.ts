/**
 * Protected resource metadata (RFC 9728) through real Express 5, Koa 3 and Fastify 5 apps over
 * HTTP: the document is served unauthenticated at its well-known path (§3.1, §3.2), a refusal's
 * challenge names it (§5.1), and without the option nothing changes.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { tenantgate } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware } from '../../src/adapters/koa.js';
import { createAuthenticator, type Authenticator, type AuthenticatorOptions } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function send(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

type App = { url: string; close(): Promise<void> };
type Start = (auth: Authenticator) => Promise<App>;

async function listen(listener: RequestListener): Promise<App> {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const reply = (result: { tenant?: string } | undefined) => JSON.stringify({ tenant: result?.tenant });

const FRAMEWORKS: [string, Start][] = [
  [
    'Express 5',
    async (auth) => {
      const app = express();
      app.use(expressMiddleware(auth));
      app.get('/api/v1/query', (request, response) => {
        response.end(reply(request.auth));
      });
      return listen(app);
    },
  ],
  [
    'Koa 3',
    async (auth) => {
      const app = new Koa();
      app.use(koaMiddleware(auth));
      app.use((context) => {
        context.body = reply(context.state.auth as { tenant?: string });
      });
      return listen(app.callback());
    },
  ],
  [
    'Fastify 5',
    async (auth) => {
      const app = Fastify();
      await app.register(async (scope) => {
        await scope.register(tenantgate, { authenticator: auth });
        scope.get('/api/v1/query', async (request) => reply(request.auth));
      });
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: address.replace('localhost', '127.0.0.1'), close: () => app.close() };
    },
  ],
];

describe('protected resource metadata through the adapters', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  const withMetadata = (resource: string, overrides: Partial<AuthenticatorOptions> = {}) =>
    createAuthenticator(optionsFor(issuer, { ...READER, resourceMetadata: { resource, scopesSupported: ['metrics:read'] }, ...overrides }));

  for (const [name, start] of FRAMEWORKS) {
    describe(name, () => {
      it('serves the document at the well-known path, unauthenticated, on GET and HEAD', async () => {
        const auth = withMetadata('https://metrics.example.com/api');
        const app = await start(auth);
        const path = '/.well-known/oauth-protected-resource/api';
        const answer = await send(`${app.url}${path}`);
        expect(answer.status).toBe(200);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(answer.body)).toEqual({
          resource: 'https://metrics.example.com/api',
          authorization_servers: [issuer.url],
          bearer_methods_supported: ['header'],
          scopes_supported: ['metrics:read'],
          dpop_bound_access_tokens_required: false,
        });
        expect(JSON.parse(answer.body)).toEqual(JSON.parse(JSON.stringify(auth.protectedResourceMetadata())));
        // Bad credentials do not matter: the document is public.
        expect((await send(`${app.url}${path}?x=1`, { authorization: 'Bearer t:nonsense' })).status).toBe(200);
        const head = await send(`${app.url}${path}`, {}, 'HEAD');
        expect(head.status).toBe(200);
        expect(head.body).toBe('');
        expect(head.headers['content-type']).toMatch(/^application\/json/);
        // Only that path: others stay protected (Fastify: not found outside the protected context).
        expect([401, 404]).toContain((await send(`${app.url}/.well-known/oauth-protected-resource`)).status);
        expect((await send(`${app.url}${path}`, {}, 'POST')).status).not.toBe(200);
        await app.close();
        await auth.close();
      });

      it('names the document in the challenge of a 401, and still accepts good tokens', async () => {
        const auth = withMetadata('https://metrics.example.com', { dpop: { mode: 'allowed', algorithms: ['ES256'] } });
        const app = await start(auth);
        const url = 'https://metrics.example.com/.well-known/oauth-protected-resource';
        const refused = await send(`${app.url}/api/v1/query`);
        expect(refused.status).toBe(401);
        expect(refused.headers['www-authenticate']).toBe(
          `Bearer realm="tenantgate", resource_metadata="${url}", DPoP realm="tenantgate", algs="ES256", resource_metadata="${url}", ` +
            'Basic realm="tenantgate", charset="UTF-8"',
        );
        const document = await send(`${app.url}/.well-known/oauth-protected-resource`);
        expect(JSON.parse(document.body)).toMatchObject({ dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: false });
        const token = await issuer.sign({ sub: 'pref-reader-1' });
        const accepted = await send(`${app.url}/api/v1/query`, { authorization: `Bearer tenant-1:${token}` });
        expect(accepted).toMatchObject({ status: 200, body: '{"tenant":"tenant-1"}' });
        await app.close();
        await auth.close();
      });

      if (name === 'Fastify 5') it('adds the route once, and not under a prefix, where it would miss the well-known path', async () => {
        const auth = withMetadata('https://metrics.example.com');
        const app = Fastify();
        await app.register(async (scope) => {
          await scope.register(tenantgate, { authenticator: auth });
          scope.get('/one', async (request) => reply(request.auth));
        });
        await app.register(async (scope) => {
          await scope.register(tenantgate, { authenticator: auth });
          scope.get('/two', async (request) => reply(request.auth));
        });
        await app.register(async (scope) => {
          await scope.register(tenantgate, { authenticator: auth });
          scope.get('/three', async (request) => reply(request.auth));
        }, { prefix: '/api' });
        const address = await app.listen({ port: 0, host: '127.0.0.1' });
        const url = address.replace('localhost', '127.0.0.1');
        expect((await send(`${url}/.well-known/oauth-protected-resource`)).status).toBe(200);
        expect((await send(`${url}/api/.well-known/oauth-protected-resource`)).status).toBe(404);
        expect((await send(`${url}/api/three`)).status).toBe(401);
        await app.close();
        await auth.close();
      });

      it('changes nothing without the option', async () => {
        const auth = createAuthenticator(optionsFor(issuer, READER));
        const app = await start(auth);
        const refused = await send(`${app.url}/api/v1/query`);
        expect(refused.status).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"');
        const metadata = await send(`${app.url}/.well-known/oauth-protected-resource`);
        expect([401, 404]).toContain(metadata.status);
        expect(metadata.headers['www-authenticate'] ?? '').not.toMatch(/resource_metadata/);
        await app.close();
        await auth.close();
      });
    });
  }
});
