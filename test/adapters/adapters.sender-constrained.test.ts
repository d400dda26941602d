/**
 * DPoP and mTLS through every adapter over real HTTPS (Express 4 and 5, Koa 2 and 3, Fastify 4
 * and 5): the adapter hands the core the proof, the method, the URL the client addressed and
 * the certificate from the TLS socket; `requestUrl` and `clientCertificate` cover a proxy.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import Fastify from 'fastify';
import Fastify4 from 'fastify4';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { tenantgate } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware } from '../../src/adapters/koa.js';
import type { SenderOptions } from '../../src/adapters/request-details.js';
import { createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';

interface Tls {
  key: Buffer;
  cert: Buffer;
}

interface Answer {
  status: number;
  wwwAuthenticate: string | undefined;
  body: string;
}

/** One request; `tls` set: over HTTPS with that client certificate (or none). */
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

type Start = (auth: Authenticator, tls: Tls | undefined, sender: SenderOptions<never>) => Promise<{ url: string; close(): Promise<void> }>;

async function listen(listener: RequestListener, tls: Tls | undefined) {
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const reply = (result: { tenant?: string } | undefined) => JSON.stringify({ tenant: result?.tenant });

const expressStart =
  (make: typeof express): Start =>
  async (auth, tls, sender) => {
    const app = make();
    app.get('/data', expressMiddleware(auth, sender as SenderOptions<unknown>), (request, response) => {
      response.end(reply(request.auth));
    });
    return listen(app, tls);
  };

const koaStart =
  (Make: typeof Koa): Start =>
  async (auth, tls, sender) => {
    const app = new Make();
    app.use(koaMiddleware(auth, sender as SenderOptions<unknown>));
    app.use((context) => {
      context.body = reply(context.state.auth as { tenant?: string });
    });
    return listen(app.callback(), tls);
  };

const fastifyStart =
  (make: typeof Fastify): Start =>
  async (auth, tls, sender) => {
    const app = (make as (options: object) => ReturnType<typeof Fastify>)(tls === undefined ? {} : { https: { ...tls, requestCert: true, rejectUnauthorized: false } });
    await app.register(tenantgate, { authenticator: auth, ...(sender as SenderOptions<unknown>) });
    app.get('/data', async (request: { auth?: { tenant?: string } }) => reply(request.auth));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: address.replace('localhost', '127.0.0.1'), close: () => app.close() };
  };

const FRAMEWORKS: [string, Start][] = [
  ['Express 4', expressStart(express4 as unknown as typeof express)],
  ['Express 5', expressStart(express)],
  ['Koa 2', koaStart(Koa2 as unknown as typeof Koa)],
  ['Koa 3', koaStart(Koa)],
  ['Fastify 4', fastifyStart(Fastify4 as unknown as typeof Fastify)],
  ['Fastify 5', fastifyStart(Fastify)],
];

describe('sender-constrained tokens through the adapters', () => {
  let issuer: TestIssuer;
  let directory: string;
  let server: Tls;
  let client: Tls;
  let otherClient: Tls;
  let clientThumbprint: string;
  let dpopKey: { privateKey: CryptoKey; jwk: JWK; jkt: string };

  beforeAll(async () => {
    issuer = await createTestIssuer();
    directory = mkdtempSync(join(tmpdir(), 'tenantgate-adapters-tls-'));
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
        const accepted = await send(`${app.url}/data?query=up#top`, headers, null);
        expect(accepted).toMatchObject({ status: 200, body: '{"tenant":"tenant-1"}' });
        const replayed = await send(`${app.url}/data`, headers, null);
        expect(replayed.status).toBe(401);
        expect(replayed.wwwAuthenticate).toMatch(/DPoP realm="tenantgate", error="invalid_dpop_proof"/);
        expect(JSON.parse(replayed.body)).toMatchObject({ error: 'invalid_dpop_proof' });
        const elsewhere = await send(`${app.url}/data`, { ...headers, dpop: await proof(token, 'https://127.0.0.1:1/data') }, null);
        expect(elsewhere.status).toBe(401);
        const asBearer = await send(`${app.url}/data`, { authorization: `Bearer tenant-1:${token}` }, null);
        expect(asBearer.status).toBe(401);
        await app.close();
        await auth.close();
      });

      it('checks the proof against requestUrl behind a proxy', async () => {
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, dpop: { mode: 'required' } }));
        const publicUrl = 'https://metrics.example.com/data';
        const app = await start(auth, undefined, { requestUrl: () => publicUrl });
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { jkt: dpopKey.jkt } });
        const ok = await send(`${app.url}/data`, { authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, publicUrl) }, undefined);
        expect(ok.status).toBe(200);
        const direct = await send(`${app.url}/data`, { authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, `${app.url}/data`) }, undefined);
        expect(direct.status).toBe(401);
        await app.close();
        await auth.close();
      });

      // Express alone has a setting-dependent host rule worth its own test.
      if (name.startsWith('Express')) it('honours trust proxy for the URL, without touching deprecated request members', async () => {
        const deprecations: unknown[] = [];
        const onDeprecation = (warning: unknown) => deprecations.push(warning);
        process.on('deprecation' as 'warning', onDeprecation);
        const auth = createAuthenticator(optionsFor(issuer, { ...READER, dpop: { mode: 'required' } }));
        const make = (name === 'Express 4' ? express4 : express) as unknown as typeof express;
        const app = make();
        app.set('trust proxy', 'loopback');
        app.get('/data', expressMiddleware(auth), (request, response) => {
          response.end(reply(request.auth));
        });
        const running = await listen(app, undefined);
        const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { jkt: dpopKey.jkt } });
        const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'metrics.example.com' };
        const send1 = async (htu: string) =>
          send(`${running.url}/data`, { ...forwarded, authorization: `DPoP tenant-1:${token}`, dpop: await proof(token, htu) }, undefined);
        expect((await send1('https://metrics.example.com/data')).status).toBe(200);
        expect((await send1(`${running.url}/data`)).status).toBe(401);
        process.off('deprecation' as 'warning', onDeprecation);
        expect(deprecations).toEqual([]);
        await running.close();
        await auth.close();
      });

      it('accepts a certificate-bound token only over a connection with that client certificate', async () => {
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
          const headers = ((request as { headers?: Record<string, unknown>; req?: { headers: Record<string, unknown> } }).req ?? request) as { headers: Record<string, unknown> };
          const value = headers.headers['x-client-cert'];
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
