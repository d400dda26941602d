// Sender-constrained tokens against a certified OpenID Provider: `oidc-provider` runs in-process
// on 127.0.0.1 and issues real client-credentials JWT access tokens bound to a DPoP key
// (RFC 9449, `cnf.jkt`) or to a TLS client certificate (RFC 8705, `cnf["x5t#S256"]`);
// tenantgate, behind Express, Koa and Fastify, takes them over real HTTP(S). Nothing here signs
// an access token: the test signs only DPoP proofs, as a client does. The provider's
// configuration and where it comes from are described in ./oidc-provider-fixtures.ts.
//
// The provider listens twice: on HTTP (the issuer: discovery, JWKS, the token endpoint DPoP
// clients use) and on HTTPS asking for a client certificate, the endpoint a certificate-bound
// client gets its token from (`getCertificate` reads the certificate off that TLS connection).
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type AuthenticatorOptions, type Authenticator } from '../../src/index.js';
import {
  AUDIENCE,
  basic,
  certificate,
  CLIENTS,
  dpopKey,
  FRAMEWORKS,
  listen,
  buildProvider,
  POLICIES,
  POLICY_CLAIM,
  proof,
  send,
  type Answer,
  type App,
  type ClientId,
  type DpopKey,
  type Tls,
} from './oidc-provider-fixtures.js';

let directory: string;
let serverTls: Tls;
let clientTls: Tls;
let otherTls: Tls;
let issuer: string;
let tokenEndpoint: string;
/** The same token endpoint on the provider's HTTPS listener, which asks for a client certificate. */
let mtlsTokenEndpoint: string;
const listeners: App[] = [];
const authenticators: Authenticator[] = [];
const serverErrors: Error[] = [];
const restoreConsole: Array<() => void> = [];

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
const FORM = 'application/x-www-form-urlencoded';
const GRANT = new URLSearchParams({ grant_type: 'client_credentials', scope: 'metrics:read' }).toString();

function tokenRequest(endpoint: string, client: ClientId, extra: { dpop?: string; tls?: Tls } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: basic(client, CLIENTS[client].secret), 'content-type': FORM };
  if (extra.dpop !== undefined) headers.dpop = extra.dpop;
  return send(endpoint, { method: 'POST', headers, body: GRANT, ca: serverTls.cert, ...(extra.tls === undefined ? {} : { client: extra.tls }) });
}

function accessTokenOf(answer: Answer, tokenType: string): string {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.token_type).toBe(tokenType);
  const token = answer.body.access_token;
  if (typeof token !== 'string') throw new Error(`no access token: ${JSON.stringify(answer.body)}`);
  return token;
}

/** A DPoP-bound access token, proving possession of `key` to the token endpoint. */
async function dpopBoundToken(key: DpopKey): Promise<string> {
  return accessTokenOf(await tokenRequest(tokenEndpoint, 'dpop-client', { dpop: await proof(key, 'POST', tokenEndpoint) }), 'DPoP');
}

function authenticator(overrides: Partial<AuthenticatorOptions>): Authenticator {
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

async function started(app: Promise<App>): Promise<App> {
  listeners.push(await app);
  return app;
}

/** A 401 whose JSON body and challenge carry `code`, for the check `reason` names. */
function expectRefused(answer: Answer, code: string, reason: RegExp): void {
  expect({ status: answer.status, error: answer.body.error }, JSON.stringify(answer.body)).toEqual({ status: 401, error: code });
  expect(answer.body.error_description).toMatch(reason);
  expect(answer.wwwAuthenticate).toContain(`error="${code}"`);
}

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
  directory = mkdtempSync(join(tmpdir(), 'tenantgate-interop-tls-'));
  [serverTls, clientTls, otherTls] = [certificate(directory, 'server'), certificate(directory, 'client'), certificate(directory, 'other')];

  let handle: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  const delegate = (req: IncomingMessage, res: ServerResponse) => void handle?.(req, res);
  const http = await started(listen(delegate));
  const https = await started(listen(delegate, serverTls));
  issuer = http.url;
  const provider = await buildProvider(issuer);
  provider.on('server_error', (_ctx, error) => serverErrors.push(error));
  handle = provider.callback();

  const discovery = await send(`${issuer}/.well-known/openid-configuration`);
  expect(discovery.body).toMatchObject({
    issuer,
    tls_client_certificate_bound_access_tokens: true,
    dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
  });
  tokenEndpoint = String(discovery.body.token_endpoint);
  mtlsTokenEndpoint = new URL(new URL(tokenEndpoint).pathname, https.url).href;
});

afterAll(async () => {
  await Promise.all(authenticators.map((auth) => auth.close()));
  await Promise.all(listeners.map((app) => app.close()));
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  for (const restore of restoreConsole) restore();
  expect(serverErrors).toEqual([]);
});

describe('DPoP-bound tokens from oidc-provider', () => {
  it('are issued bound to the key of the proof the client sent to the token endpoint (cnf.jkt)', async () => {
    const key = await dpopKey();
    const token = await dpopBoundToken(key);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(decodeJwt(token)).toMatchObject({
      iss: issuer,
      aud: AUDIENCE,
      client_id: 'dpop-client',
      [POLICY_CLAIM]: CLIENTS['dpop-client'].groups,
      cnf: { jkt: await calculateJwkThumbprint(key.jwk) },
    });
    // The client is registered with dpop_bound_access_tokens: no proof, no token.
    const withoutProof = await tokenRequest(tokenEndpoint, 'dpop-client');
    expect({ status: withoutProof.status, error: withoutProof.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('are bound to Ed25519 proof keys too, with the same thumbprint on both sides (alg EdDSA, and the fully specified Ed25519)', async () => {
    // The provider advertises ES256, Ed25519 and EdDSA for proofs (dPoPSigningAlgValues);
    // tenantgate's default dpop.algorithms leaves out Ed25519, so it is listed here.
    const auth = authenticator({ dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA', 'Ed25519'] } });
    const url = `${(await started(FRAMEWORKS.Express(auth, undefined))).url}/data`;
    for (const alg of ['EdDSA', 'Ed25519']) {
      const key = await dpopKey(alg);
      const token = await dpopBoundToken(key);
      expect(decodeJwt(token).cnf).toEqual({ jkt: await calculateJwkThumbprint(key.jwk) });
      const answer = await send(url, { headers: { authorization: `DPoP tenant-1:${token}`, dpop: await proof(key, 'GET', url, { ath: sha256(token) }) } });
      expect({ alg, status: answer.status, body: answer.body }).toEqual({ alg, status: 200, body: { tenant: 'tenant-1', client: 'dpop-client' } });
    }
  });

  for (const [name, start] of Object.entries(FRAMEWORKS)) {
    describe(`through ${name}`, () => {
      let key: DpopKey;
      let token: string;
      let url: string;
      let ath: string;
      const dpop = async (proofJwt: string | Promise<string>) => send(url, { headers: { authorization: `DPoP tenant-1:${token}`, dpop: await proofJwt } });

      beforeAll(async () => {
        key = await dpopKey();
        token = await dpopBoundToken(key);
        ath = sha256(token);
        const app = await started(start(authenticator({ dpop: { mode: 'allowed' } }), undefined));
        url = `${app.url}/data`;
      });

      it('accepts the token with a fresh proof on each request (htu without the query)', async () => {
        for (const target of [url, `${url}?query=up`, url]) {
          const answer = await send(target, { headers: { authorization: `DPoP tenant-1:${token}`, dpop: await proof(key, 'GET', url, { ath }) } });
          expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { tenant: 'tenant-1', client: 'dpop-client' } });
        }
      });

      it('refuses a replayed proof', async () => {
        const once = await proof(key, 'GET', url, { ath });
        expect((await dpop(once)).status).toBe(200);
        expectRefused(await dpop(once), 'invalid_dpop_proof', /used before/);
      });

      it('refuses a proof for another URL, another method, or another access token', async () => {
        expectRefused(await dpop(proof(key, 'GET', new URL('/other', url).href, { ath })), 'invalid_dpop_proof', /htu/);
        expectRefused(await dpop(proof(key, 'GET', url.replace('127.0.0.1', 'localhost'), { ath })), 'invalid_dpop_proof', /htu/);
        expectRefused(await dpop(proof(key, 'POST', url, { ath })), 'invalid_dpop_proof', /htm/);
        expectRefused(await dpop(proof(key, 'GET', url, { ath: sha256('another token') })), 'invalid_dpop_proof', /ath/);
      });

      it('refuses the stolen token with a proof signed by the thief’s own key', async () => {
        const thief = await dpopKey();
        expectRefused(await dpop(proof(thief, 'GET', url, { ath })), 'invalid_dpop_proof', /another key/);
      });

      it('refuses the stolen token sent as a plain Bearer token (downgrade)', async () => {
        const answer = await send(url, { headers: { authorization: `Bearer tenant-1:${token}` } });
        expectRefused(answer, 'invalid_token', /bound to a DPoP key/);
        const asBasic = await send(url, { headers: { authorization: basic('tenant-1', token) } });
        expectRefused(asBasic, 'invalid_token', /bound to a DPoP key/);
      });

      it('refuses a proof whose iat is older than proofMaxAge (60s) plus the clock tolerance (30s)', async () => {
        const now = Math.floor(Date.now() / 1000);
        expectRefused(await dpop(proof(key, 'GET', url, { ath, iat: now - 600 })), 'invalid_dpop_proof', /iat/);
        expectRefused(await dpop(proof(key, 'GET', url, { ath, iat: now + 600 })), 'invalid_dpop_proof', /iat/);
      });

      it('refuses a proof whose jwk header carries the private key (even though its thumbprint is the bound one)', async () => {
        expect(await calculateJwkThumbprint(key.privateJwk)).toBe(decodeJwt<{ cnf: { jkt: string } }>(token).cnf.jkt);
        expectRefused(await dpop(proof(key, 'GET', url, { ath }, key.privateJwk)), 'invalid_dpop_proof', /private key material/);
      });

      it('still accepts the rightful client after every refusal', async () => {
        expect((await dpop(proof(key, 'GET', url, { ath }))).status).toBe(200);
      });
    });
  }
});

describe('certificate-bound tokens from oidc-provider', () => {
  let token: string;

  beforeAll(async () => {
    token = accessTokenOf(await tokenRequest(mtlsTokenEndpoint, 'mtls-client', { tls: clientTls }), 'Bearer');
  });

  it('are issued bound to the certificate the client presented to the token endpoint (cnf["x5t#S256"])', async () => {
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(decodeJwt(token)).toMatchObject({
      iss: issuer,
      aud: AUDIENCE,
      client_id: 'mtls-client',
      [POLICY_CLAIM]: CLIENTS['mtls-client'].groups,
      cnf: { 'x5t#S256': sha256(new X509Certificate(clientTls.cert).raw) },
    });
    // The client is registered with tls_client_certificate_bound_access_tokens: no certificate, no token.
    for (const endpoint of [tokenEndpoint, mtlsTokenEndpoint]) {
      const refused = await tokenRequest(endpoint, 'mtls-client');
      expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    }
  });

  for (const [name, start] of Object.entries(FRAMEWORKS)) {
    it(`through ${name} over HTTPS: accepted with that client certificate, refused with another or none`, async () => {
      const app = await started(start(authenticator({ mtls: { mode: 'allowed' } }), serverTls));
      const url = `${app.url}/data`;
      const headers = { authorization: `Bearer tenant-2:${token}` };
      const accepted = await send(url, { headers, ca: serverTls.cert, client: clientTls });
      expect({ status: accepted.status, body: accepted.body }).toEqual({ status: 200, body: { tenant: 'tenant-2', client: 'mtls-client' } });
      expectRefused(await send(url, { headers, ca: serverTls.cert, client: otherTls }), 'invalid_token', /another client certificate/);
      expectRefused(await send(url, { headers, ca: serverTls.cert }), 'invalid_token', /not presented/);
      // Accepted again afterwards: the refusals did not evict or poison the cached token.
      expect((await send(url, { headers, ca: serverTls.cert, client: clientTls })).status).toBe(200);
    });
  }
});
