/**
 * DPoP and mTLS through the fetch, Hono and Nest (Express and Fastify) adapters over real
 * HTTPS: the adapter hands the core the proof, the method, the URL the client addressed and
 * the client certificate; `requestUrl` and `clientCertificate` cover a proxy.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequest, errorResponse } from '../../src/adapters/fetch.js';
import { middleware as honoMiddleware, type TenantgateEnv } from '../../src/adapters/hono.js';
import { TenantgateModule } from '../../src/adapters/nest.js';
import type { SenderOptions } from '../../src/adapters/request-details.js';
import { AuthError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';
import { appModule, guardedController, startNest } from './nest-apps.js';

interface Tls {
  key: Buffer;
  cert: Buffer;
}

interface Answer {
  status: number;
  wwwAuthenticate: string | undefined;
  body: string;
}

/** One request; `client` set: over HTTPS with that client certificate (or none). */
function send(url: string, headers: Record<string, string>, client: Tls | null | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = client === undefined ? { headers } : { headers, rejectUnauthorized: false, ...(client ?? {}) };
    const request = (client === undefined ? httpRequest : httpsRequest)(url, options, (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, wwwAuthenticate: response.headers['www-authenticate'], body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** A running app with a `/data` route answering `{"tenant":...}`. */
type Start = (auth: Authenticator, tls: Tls | undefined, sender: SenderOptions<never>) => Promise<{ url: string; close(): Promise<void> }>;

async function listen(listener: RequestListener, tls: Tls | undefined) {
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const reply = (result: { tenant?: string | undefined } | undefined) => JSON.stringify({ tenant: result?.tenant });

const fetchStart: Start = async (auth, tls, sender) =>
  listen(
    getRequestListener(async (request: Request) => {
      try {
        return new Response(reply(await authenticateRequest(auth, request, sender as SenderOptions<Request>)));
      } catch (error) {
        if (error instanceof AuthError) return errorResponse(error);
        throw error;
      }
    }),
    tls,
  );

const honoStart: Start = async (auth, tls, sender) => {
  const app = new Hono<TenantgateEnv>();
  app.get('/data', honoMiddleware(auth, sender as SenderOptions<unknown>), (c) => c.body(reply(c.get('auth'))));
  return listen(getRequestListener(app.fetch), tls);
};

const nestStart =
  (platform: 'express' | 'fastify'): Start =>
  async (auth, tls, sender) => {
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth, ...(sender as SenderOptions<unknown>) })], [
      guardedController([{ method: 'get', path: 'data' }]),
    ]);
    const app = await startNest(platform, module, tls);
    return { url: app.url, close: () => app.close() };
  };

const FRAMEWORKS: [string, Start][] = [
  ['fetch handler', fetchStart],
  ['Hono', honoStart],
  ['Nest on Express', nestStart('express')],
  ['Nest on Fastify', nestStart('fastify')],
];

describe('sender-constrained tokens through the fetch, Hono and Nest adapters', () => {
  let issuer: TestIssuer;
  let directory: string;
  let server: Tls;
  let client: Tls;
  let otherClient: Tls;
  let clientThumbprint: string;
  let dpopKey: { privateKey: CryptoKey; jwk: JWK; jkt: string };

  beforeAll(async () => {
    issuer = await createTestIssuer();
    directory = mkdtempSync(join(tmpdir(), 'tenantgate-web-adapters-tls-'));
    const make = (name: string): Tls => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(directory, `${name}.key`), '-out', join(directory, `${name}.pem`), '-days', '1'],
      { stdio: 'ignore' });
      return { key: readFileSync(join(directory, `${name}.key`)), cert: readFileSync(join(directory, `${name}.pem`)) };
    };
    [server, client, otherClient] = [make('server'), make('client'), make('other')];
    clientThumbprint = createHash('sha256').update(new X509Certificate(client.cert).raw).digest('base64url');
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    dpopKey = { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
  });
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await issuer.close();
  });

  const proof = (token: string, htu: string, htm = 'GET') =>
    new SignJWT({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopKey.jwk })
      .sign(dpopKey.privateKey);

  for (const [name, start] of FRAMEWORKS) {
    describe(name, () => {
      it('accepts a DPoP proof for the URL the client addressed (without the query), once', async () => {
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, dpop: { mode: 'allowed' } }));
        const app = await start(auth, server, {});
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { jkt: dpopKey.jkt } });
        const headers = { authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, `${app.url}/data`) };
        const accepted = await send(`${app.url}/data?query=up`, headers, null);
        expect(accepted.status).toBe(200);
        expect(JSON.parse(accepted.body)).toMatchObject({ tenant: 'tenant-1' });
        const replayed = await send(`${app.url}/data`, headers, null);
        expect(replayed.status).toBe(401);
        expect(replayed.wwwAuthenticate).toMatch(/DPoP realm="tenantgate", error="invalid_dpop_proof"/);
        expect(JSON.parse(replayed.body)).toMatchObject({ error: 'invalid_dpop_proof' });
        const elsewhere = await send(`${app.url}/data`, { ...headers, dpop: await proof(token, 'https://127.0.0.1:1/data') }, null);
        expect(elsewhere.status).toBe(401);
        const posted = await send(`${app.url}/data`, { ...headers, dpop: await proof(token, `${app.url}/data`, 'POST') }, null);
        expect(posted.status).toBe(401);
        expect((await send(`${app.url}/data`, { authorization: `Bearer tenant-1:${token}` }, null)).status).toBe(401);
        await app.close();
        await auth.close();
      });

      it('checks the proof against requestUrl behind a proxy', async () => {
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, dpop: { mode: 'required' } }));
        const publicUrl = 'https://metrics.example.com/data';
        const app = await start(auth, undefined, { requestUrl: () => publicUrl });
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { jkt: dpopKey.jkt } });
        expect((await send(`${app.url}/data`, { authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, publicUrl) }, undefined)).status).toBe(200);
        const direct = await send(`${app.url}/data`, { authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, `${app.url}/data`) }, undefined);
        expect(direct.status).toBe(401);
        await app.close();
        await auth.close();
      });

      // A Web Request carries no TLS details: the fetch adapter needs `clientCertificate`.
      if (name !== 'fetch handler') it('accepts a certificate-bound token only over a connection with that client certificate', async () => {
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, mtls: { mode: 'allowed' } }));
        const app = await start(auth, server, {});
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { 'x5t#S256': clientThumbprint } });
        const headers = { authorization: `Bearer tenant-1:${token}` };
        expect((await send(`${app.url}/data`, headers, client)).status).toBe(200);
        expect((await send(`${app.url}/data`, headers, otherClient)).status).toBe(401);
        expect((await send(`${app.url}/data`, headers, null)).status).toBe(401);
        await app.close();
        await auth.close();
      });

      it('takes the certificate from clientCertificate behind a TLS-terminating proxy', async () => {
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, mtls: { mode: 'required' } }));
        const fromHeader = (request: unknown): string | undefined => {
          const web = request as { req?: { raw: Request }; headers?: Headers | Record<string, unknown>; raw?: { headers: Record<string, unknown> } };
          if (web.req !== undefined) return web.req.raw.headers.get('x-client-cert') ?? undefined;
          if (web.headers instanceof Headers) return web.headers.get('x-client-cert') ?? undefined;
          const value = (web.raw?.headers ?? web.headers ?? {})['x-client-cert'];
          return typeof value === 'string' ? value : undefined;
        };
        const app = await start(auth, undefined, { clientCertificate: fromHeader as never });
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { 'x5t#S256': clientThumbprint } });
        const escaped = encodeURIComponent(client.cert.toString());
        expect((await send(`${app.url}/data`, { authorization: `Bearer tenant-1:${token}`, 'x-client-cert': escaped }, undefined)).status).toBe(200);
        const other = encodeURIComponent(otherClient.cert.toString());
        expect((await send(`${app.url}/data`, { authorization: `Bearer tenant-1:${token}`, 'x-client-cert': other }, undefined)).status).toBe(401);
        await app.close();
        await auth.close();
      });
    });
  }
});
