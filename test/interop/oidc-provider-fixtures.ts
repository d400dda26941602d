// Helpers of test/interop/oidc-provider-sender-constrained.test.ts: the oidc-provider
// configuration for DPoP- and certificate-bound client-credentials tokens, certificates made
// with the openssl CLI, one-shot HTTP(S) requests, and tenantgate behind Express, Koa and
// Fastify, over HTTP or over HTTPS asking for a client certificate.
//
// How the provider binds tokens, from its own source (oidc-provider 9.13.3):
// - lib/helpers/defaults.js: `features.dPoP` ({ enabled, nonceSecret, requireNonce, allowReplay })
//   and `features.mTLS` ({ enabled, certificateBoundAccessTokens, selfSignedTlsClientAuth,
//   tlsClientAuth, getCertificate(ctx), ... }); proofs may use `dPoPSigningAlgValues`
//   (default ES256, Ed25519, EdDSA).
// - lib/helpers/validate_dpop.js: the token endpoint verifies the `DPoP` header with jose's
//   EmbeddedJWK (`typ: dpop+jwt`, `iat` within its window, `htm` = POST, `htu` = its own token
//   endpoint URL, built from the request's origin) and takes the RFC 7638 thumbprint of the
//   header's `jwk`; lib/helpers/grant_common.js applyDpopBinding checks the `jti` for replay
//   and sets `jkt` on the token.
// - lib/actions/grants/client_credentials.js + lib/helpers/sender_constraints.js: for a client
//   registered with `tls_client_certificate_bound_access_tokens: true`, `getCertificate(ctx)` must
//   return the certificate (PEM or X509Certificate) or the grant fails; its SHA-256 thumbprint
//   (lib/helpers/certificate_thumbprint.js) becomes `x5t#S256` on the token.
// - lib/models/formats/jwt.js puts both in the JWT as `cnf: { jkt }` / `cnf: { "x5t#S256" }`;
//   lib/models/client_credentials.js makes `token_type` `DPoP` when `jkt` is set.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import express from 'express';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import Koa from 'koa';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { tenantgate } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware } from '../../src/adapters/koa.js';
import type { Authenticator, AuthResult } from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// oidc-provider, typed narrowly (it ships no declarations; loaded through a non-literal specifier)

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface OidcProvider {
  readonly issuer: string;
  callback(): NodeHandler;
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): unknown;
}

interface OidcProviderModule {
  Provider: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: { InvalidTarget: new (description?: string) => Error };
}

export const RESOURCE = 'https://metrics.example.com';
export const AUDIENCE = 'metrics-api';
export const POLICY_CLAIM = 'groups';
export const POLICIES = {
  '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-2' }] },
};

/** Machine clients: one whose tokens are DPoP-bound, one whose tokens are certificate-bound. */
export const CLIENTS = {
  'dpop-client': { secret: 'dpop-secret', groups: ['pref-1234567890-abc'], metadata: { dpop_bound_access_tokens: true } },
  'mtls-client': { secret: 'mtls-secret', groups: ['pref-9876543210-xyz'], metadata: { tls_client_certificate_bound_access_tokens: true } },
} as const;
export type ClientId = keyof typeof CLIENTS;

/** A provider for `issuer` issuing RFC 9068 JWT access tokens for RESOURCE to CLIENTS. */
export async function buildProvider(issuer: string): Promise<OidcProvider> {
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as OidcProviderModule;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return new oidc.Provider(issuer, {
    clients: Object.entries(CLIENTS).map(([clientId, { secret, metadata }]) => ({
      client_id: clientId,
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...metadata,
    })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['interop-test-cookie-key'] },
    ttl: { ClientCredentials: 600 },
    features: {
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        // The certificate the client presented on this TLS connection: the provider is also
        // served on an HTTPS listener that asks for one (RFC 8705's mTLS endpoint). On the
        // plain HTTP listener there is none.
        getCertificate: (ctx: { socket: Partial<TLSSocket> }) =>
          ctx.socket.encrypted === true ? ctx.socket.getPeerX509Certificate?.() : undefined,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          if (resourceIndicator !== RESOURCE) throw new oidc.errors.InvalidTarget();
          return { scope: 'metrics:read', audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    extraTokenClaims: async (_ctx: unknown, token: { kind: string; clientId?: string }) => {
      const client = token.kind === 'ClientCredentials' ? CLIENTS[token.clientId as ClientId] : undefined;
      return client === undefined ? undefined : { [POLICY_CLAIM]: [...client.groups] };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Certificates and requests

export interface Tls {
  key: Buffer;
  cert: Buffer;
}

/** A self-signed P-256 certificate for 127.0.0.1, made by the openssl CLI in `directory`. */
export function certificate(directory: string, name: string): Tls {
  const [key, cert] = [join(directory, `${name}.key`), join(directory, `${name}.pem`)];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert, '-days', '1'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export interface Answer {
  status: number;
  wwwAuthenticate: string;
  body: Record<string, unknown>;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For https: URLs, the CA to trust (the servers' self-signed certificate). */
  ca?: Buffer;
  /** For https: URLs, the client certificate to present (none when absent). */
  client?: Tls;
}

/** One request on its own connection (no agent: no keep-alive, no TLS session reuse). */
export function send(url: string, { method = 'GET', headers = {}, body, ca, client }: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const options = { method, headers, agent: false as const, ...(secure ? { ca, ...client } : {}) };
    const request = (secure ? httpsRequest : httpRequest)(url, options, (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { text };
        }
        const www = response.headers['www-authenticate'];
        resolve({ status: response.statusCode ?? 0, wwwAuthenticate: Array.isArray(www) ? www.join(', ') : (www ?? ''), body: parsed as Record<string, unknown> });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(password)}`).toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------
// DPoP proofs, signed with jose

export interface DpopKey {
  /** The proof's `alg`: `ES256`, or `EdDSA` / `Ed25519` (fully specified, RFC 9864) for an Ed25519 key. */
  alg: string;
  privateKey: CryptoKey;
  /** The public JWK, as the proof header carries it. */
  jwk: JWK;
  /** The private JWK (only for the "private key in the header" attack). */
  privateJwk: JWK;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'ES256' ? 'ES256' : 'Ed25519', { extractable: true });
  return { alg, privateKey, jwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

/** A DPoP proof (RFC 9449 §4.2); `claims` and `headerJwk` override the defaults. */
export function proof(key: DpopKey, htm: string, htu: string, claims: Record<string, unknown> = {}, headerJwk: JWK = key.jwk): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: headerJwk })
    .sign(key.privateKey);
}

// ---------------------------------------------------------------------------------------------
// tenantgate behind each framework, answering GET /data with the verified tenant and client

export interface App {
  url: string;
  close(): Promise<void>;
}

export type Start = (auth: Authenticator, tls: Tls | undefined) => Promise<App>;

const reply = (result: AuthResult | undefined | null) => ({ tenant: result?.tenant, client: result?.claims.client_id });

/** `listener` on 127.0.0.1; with `tls`, over HTTPS asking for (but not verifying) a client certificate. */
export async function listen(listener: RequestListener, tls?: Tls): Promise<App> {
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const FRAMEWORKS: Record<'Express' | 'Koa' | 'Fastify', Start> = {
  Express: async (auth, tls) => {
    const app = express();
    app.get('/data', expressMiddleware(auth), (request, response) => void response.json(reply(request.auth)));
    return listen(app, tls);
  },
  Koa: async (auth, tls) => {
    const app = new Koa();
    app.use(koaMiddleware(auth));
    app.use((context) => {
      context.body = reply(context.state.auth);
    });
    return listen(app.callback(), tls);
  },
  Fastify: async (auth, tls) => {
    const app = (Fastify as (options: object) => ReturnType<typeof Fastify>)(tls === undefined ? {} : { https: { ...tls, requestCert: true, rejectUnauthorized: false } });
    await app.register(tenantgate, { authenticator: auth });
    app.get('/data', async (request: { auth?: AuthResult | null }) => reply(request.auth));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: address, close: () => app.close() };
  },
};

// ---------------------------------------------------------------------------------------------
// Opaque tokens, introspection (RFC 7662), revocation (RFC 7009). From the provider's source:
// - getResourceServerInfo's `accessTokenFormat: 'opaque'` keeps a client-credentials token opaque,
//   with the resource server's `audience` as its `aud`.
// - lib/actions/introspection.js answers `active: true` with the token's extra claims
//   (extraTokenClaims), `client_id`, `exp`, `iat`, `iss`, `aud`, `scope`, and no `sub` (no account).
//   `features.introspection.allowedPolicy` refuses only public clients by default: here only the
//   resource server's clients may introspect, and only a token's own client may revoke it.

/** The machine client holding opaque tokens, and a confidential client that is no resource server. */
export const OPAQUE_CLIENTS = { 'opaque-reader': { secret: 'reader-secret', groups: ['pref-1234567890-abc'] }, outsider: { secret: 'outsider-secret', groups: ['pref-9876543210-xyz'] } } as const;
/** The resource server's clients at the provider: one with a secret, one with a key pair. */
export const INTROSPECTORS = { secret: { clientId: 'metrics-api', secret: 'metrics-api-secret' }, keyed: { clientId: 'metrics-api-keyed' } } as const;

/** A provider issuing opaque client-credentials tokens, introspected by INTROSPECTORS (`keyedPublicJwk` for the keyed one). */
export async function buildIntrospectionProvider(issuer: string, keyedPublicJwk: JWK): Promise<OidcProvider> {
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as OidcProviderModule;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const client = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' };
  return new oidc.Provider(issuer, {
    clients: [
      ...Object.entries(OPAQUE_CLIENTS).map(([clientId, { secret }]) => ({ ...client, client_id: clientId, client_secret: secret })),
      { ...client, grant_types: [], client_id: INTROSPECTORS.secret.clientId, client_secret: INTROSPECTORS.secret.secret },
      { ...client, grant_types: [], client_id: INTROSPECTORS.keyed.clientId, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keyedPublicJwk] } },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['interop-test-cookie-key'] },
    ttl: { ClientCredentials: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, caller: { clientId: string }) => Object.values(INTROSPECTORS).some(({ clientId }) => clientId === caller.clientId) },
      revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, caller: { clientId: string }, token: { clientId?: string }) => token.clientId === caller.clientId },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          if (resourceIndicator !== RESOURCE) throw new oidc.errors.InvalidTarget();
          return { scope: 'metrics:read', audience: AUDIENCE, accessTokenFormat: 'opaque', accessTokenTTL: 600 };
        },
      },
    },
    extraTokenClaims: async (_ctx: unknown, token: { kind: string; clientId?: string }) => {
      const holder = token.kind === 'ClientCredentials' ? OPAQUE_CLIENTS[token.clientId as keyof typeof OPAQUE_CLIENTS] : undefined;
      return holder === undefined ? undefined : { [POLICY_CLAIM]: [...holder.groups] };
    },
  });
}
