// One behaviour table, run over real HTTP against every supported framework version:
// Express 4 and 5, Koa 2 and 3, Fastify 4 and 5 (the older majors are npm aliases).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import Fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { tenantgate, type TenantgateFastifyOptions } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware } from '../../src/adapters/koa.js';
import {
  AuthError,
  createAuthenticator,
  type Authenticator,
  type AuthenticatorOptions,
  type AuthResult,
} from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

// GEM's documentation examples.
const POLICIES = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }] },
};

const BARE_CHALLENGE = 'Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"';
const BASIC_SUFFIX = ', Basic realm="tenantgate", charset="UTF-8"';
const readOrWrite = (method: string | undefined): string =>
  method === 'GET' || method === 'HEAD' ? 'metrics:read' : 'metrics:write';

/** The authenticators each app protects its routes with. */
interface Authenticators {
  /** The GEM configuration. */
  main: Authenticator;
  /** Also reads the tenant of a plain `Bearer <jwt>` from `X-Scope-OrgID`. */
  tenantHeader: Authenticator;
  /** Trusts an issuer that has been down since before the first request. */
  down: Authenticator;
  /** Accepts a plain `Bearer <jwt>` naming no tenant (`requireTenant: false`, no tenant header). */
  optionalTenant: Authenticator;
}

interface RunningApp {
  url: string;
  close(): Promise<void>;
}

type ScopeForm = 'function' | 'string';

interface Variant {
  name: string;
  /** The package (or npm alias) the variant runs, and its major version. */
  package: string;
  major: number;
  family: 'express' | 'koa' | 'fastify';
  scopeForm: ScopeForm;
  start(auths: Authenticators): Promise<RunningApp>;
}

/** What every protected handler answers: the attached result and the forwarded tenant header. */
interface Echo {
  tenant: string | null;
  policy: string | null;
  subject: string | null;
  forwarded: string | string[] | null;
  forwardedRaw: string[];
}

function echo(result: AuthResult | undefined, headers: IncomingHttpHeaders, rawHeaders: string[]): Echo {
  const forwardedRaw: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'x-scope-orgid') forwardedRaw.push(rawHeaders[index + 1] ?? '');
  }
  return {
    tenant: result?.tenant ?? null,
    policy: result?.accessPolicy.name ?? null,
    subject: result?.subject ?? null,
    forwarded: headers['x-scope-orgid'] ?? null,
    forwardedRaw,
  };
}

// ---------------------------------------------------------------- Express

async function listen(server: Server): Promise<RunningApp> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function startExpress(factory: typeof express, scopeForm: ScopeForm) {
  return async (auths: Authenticators): Promise<RunningApp> => {
    const app = factory();
    const handler: RequestHandler = (req, res) => {
      res.json(echo(req.auth, req.headers, req.rawHeaders));
    };
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    if (scopeForm === 'function') {
      const protect = expressMiddleware(auths.main, { scope: (req) => readOrWrite(req.method) });
      app.get('/metrics', protect, handler);
      app.post('/push', protect, handler);
    } else {
      app.get('/metrics', expressMiddleware(auths.main, { scope: 'metrics:read' }), handler);
      app.post('/push', expressMiddleware(auths.main, { scope: 'metrics:write' }), handler);
    }
    app.get('/tenant-header/metrics', expressMiddleware(auths.tenantHeader, { scope: 'metrics:read' }), handler);
    app.get('/down/metrics', expressMiddleware(auths.down, { scope: 'metrics:read' }), handler);
    app.get(
      '/gateway/metrics',
      expressMiddleware(auths.main, { scope: 'metrics:read', forwardTenantHeader: 'X-Scope-OrgID' }),
      handler,
    );
    app.get(
      '/gateway/optional-tenant',
      expressMiddleware(auths.optionalTenant, { scope: 'metrics:read', forwardTenantHeader: 'x-scope-orgid' }),
      handler,
    );
    app.get('/pass-errors/metrics', expressMiddleware(auths.main, { scope: 'metrics:read', passErrors: true }), handler);
    const onError: ErrorRequestHandler = (error: unknown, _req, res, next) => {
      if (!(error instanceof AuthError)) {
        next(error);
        return;
      }
      res
        .status(error.status)
        .set('www-authenticate', error.wwwAuthenticate)
        .json({ handledBy: 'error-middleware', code: error.code });
    };
    app.use(onError);
    return listen(app.listen(0, '127.0.0.1'));
  };
}

// ---------------------------------------------------------------- Koa

type KoaStep = (ctx: Koa.Context, next: Koa.Next) => unknown;

/** Runs `chain` for one method and path (the tests use no router package). */
function route(method: string, path: string, ...chain: KoaStep[]): KoaStep {
  return (ctx, next) => {
    if (ctx.method !== method || ctx.path !== path) return next();
    const dispatch = async (index: number): Promise<void> => {
      const step = chain[index];
      if (step !== undefined) await step(ctx, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}

function startKoa(Application: typeof Koa, scopeForm: ScopeForm) {
  return async (auths: Authenticators): Promise<RunningApp> => {
    const app = new Application();
    app.silent = true;
    const handler: KoaStep = (ctx) => {
      ctx.body = echo(ctx.state.auth, ctx.headers, ctx.req.rawHeaders);
    };
    app.use(
      route('GET', '/health', (ctx) => {
        ctx.body = { ok: true };
      }),
    );
    if (scopeForm === 'function') {
      const protect = koaMiddleware(auths.main, { scope: (ctx) => readOrWrite(ctx.method) });
      app.use(route('GET', '/metrics', protect, handler));
      app.use(route('POST', '/push', protect, handler));
    } else {
      app.use(route('GET', '/metrics', koaMiddleware(auths.main, { scope: 'metrics:read' }), handler));
      app.use(route('POST', '/push', koaMiddleware(auths.main, { scope: 'metrics:write' }), handler));
    }
    app.use(route('GET', '/tenant-header/metrics', koaMiddleware(auths.tenantHeader, { scope: 'metrics:read' }), handler));
    app.use(route('GET', '/down/metrics', koaMiddleware(auths.down, { scope: 'metrics:read' }), handler));
    app.use(
      route(
        'GET',
        '/gateway/metrics',
        koaMiddleware(auths.main, { scope: 'metrics:read', forwardTenantHeader: 'X-Scope-OrgID' }),
        handler,
      ),
    );
    app.use(
      route(
        'GET',
        '/gateway/optional-tenant',
        koaMiddleware(auths.optionalTenant, { scope: 'metrics:read', forwardTenantHeader: 'x-scope-orgid' }),
        handler,
      ),
    );
    return listen(app.listen(0, '127.0.0.1'));
  };
}

// ---------------------------------------------------------------- Fastify

// Fastify 4 is typed with the installed Fastify 5 typings; only its runtime is under test.
const fastify4 = Fastify4 as unknown as typeof Fastify;

function startFastify(factory: typeof Fastify, scopeForm: ScopeForm) {
  return async (auths: Authenticators): Promise<RunningApp> => {
    const app = factory();
    const handler = async (request: FastifyRequest): Promise<Echo> =>
      echo(request.auth, request.headers, request.raw.rawHeaders);
    /** A child context holding the plugin and its routes; the root stays public. */
    const protectedContext = (options: TenantgateFastifyOptions, routes: (child: FastifyInstance) => void) =>
      app.register(async (child) => {
        await child.register(tenantgate, options);
        routes(child);
      });

    app.get('/health', async () => ({ ok: true }));
    if (scopeForm === 'function') {
      protectedContext({ authenticator: auths.main, scope: (request) => readOrWrite(request.method) }, (child) => {
        child.get('/metrics', handler);
        child.post('/push', handler);
      });
    } else {
      protectedContext({ authenticator: auths.main, scope: 'metrics:read' }, (child) => child.get('/metrics', handler));
      protectedContext({ authenticator: auths.main, scope: 'metrics:write' }, (child) => child.post('/push', handler));
    }
    protectedContext({ authenticator: auths.tenantHeader, scope: 'metrics:read' }, (child) =>
      child.get('/tenant-header/metrics', handler),
    );
    protectedContext({ authenticator: auths.down, scope: 'metrics:read' }, (child) => child.get('/down/metrics', handler));
    protectedContext(
      { authenticator: auths.main, scope: 'metrics:read', forwardTenantHeader: 'X-Scope-OrgID' },
      (child) => child.get('/gateway/metrics', handler),
    );
    protectedContext(
      { authenticator: auths.optionalTenant, scope: 'metrics:read', forwardTenantHeader: 'x-scope-orgid' },
      (child) => child.get('/gateway/optional-tenant', handler),
    );
    // A sibling context without the plugin, registered after the protected ones.
    app.register(async (child) => {
      child.get('/public/ping', async (request) => ({ auth: request.auth ?? null }));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  };
}

const variants: Variant[] = [
  { name: 'Express 4', package: 'express4', major: 4, family: 'express', scopeForm: 'function', start: startExpress(express4, 'function') },
  { name: 'Express 5', package: 'express', major: 5, family: 'express', scopeForm: 'string', start: startExpress(express, 'string') },
  { name: 'Koa 2', package: 'koa2', major: 2, family: 'koa', scopeForm: 'string', start: startKoa(Koa2, 'string') },
  { name: 'Koa 3', package: 'koa', major: 3, family: 'koa', scopeForm: 'function', start: startKoa(Koa, 'function') },
  { name: 'Fastify 4', package: 'fastify4', major: 4, family: 'fastify', scopeForm: 'string', start: startFastify(fastify4, 'string') },
  { name: 'Fastify 5', package: 'fastify', major: 5, family: 'fastify', scopeForm: 'function', start: startFastify(Fastify, 'function') },
];

// ---------------------------------------------------------------- HTTP helpers

interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function request(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(url, { method: options.method ?? 'GET', headers: options.headers });
  return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
}

/** Sends a hand-written HTTP/1.1 request over a plain socket and reads the whole answer. */
async function rawRequest(url: string, method: string, path: string, headerLines: string[]): Promise<Reply> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  // Not `end()`: a half-closed socket makes Node's server drop the request.
  socket.write([`${method} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, 'Connection: close', '', ''].join('\r\n'));
  await closed;
  return parseResponse(Buffer.concat(chunks).toString('utf8'));
}

function parseResponse(raw: string): Reply {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let decoded = '';
    for (;;) {
      const end = body.indexOf('\r\n');
      const size = Number.parseInt(body.slice(0, end), 16);
      if (!(size > 0)) break;
      decoded += body.slice(end + 2, end + 2 + size);
      body = body.slice(end + 2 + size + 2);
    }
    body = decoded;
  }
  return { status, headers, text: body };
}

function json(reply: Reply): unknown {
  return JSON.parse(reply.text) as unknown;
}

/** Neither a header nor the body of the reply repeats any of `secrets`. */
function expectNoSecrets(reply: Reply, secrets: string[]): void {
  const everything = [...Object.values(reply.headers), reply.text].join('\n');
  for (const secret of secrets) expect(everything).not.toContain(secret);
}

/** Every piece of a token worth hiding: the whole, the Basic encodings of it, each segment. */
function secretsOf(token: string, ...encodings: string[]): string[] {
  return [token, ...token.split('.'), ...encodings];
}

interface Refusal {
  status: number;
  error: string;
  challenge: string | RegExp;
  retryAfter?: boolean;
}

function expectRefusal(reply: Reply, expected: Refusal, secrets: string[]): void {
  expect(reply.status).toBe(expected.status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  if (typeof expected.challenge === 'string') expect(reply.headers['www-authenticate']).toBe(expected.challenge);
  else expect(reply.headers['www-authenticate']).toMatch(expected.challenge);
  if (expected.retryAfter) expect(reply.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  else expect(reply.headers['retry-after']).toBeUndefined();
  expect(reply.headers['cache-control']).toBe('no-store');
  const body = json(reply);
  expect(body).toEqual({ error: expected.error, error_description: expect.stringMatching(/\S/) });
  expectNoSecrets(reply, secrets);
}

/** A challenge carrying an RFC 6750 error, followed by the Basic challenge. */
const challengeWith = (error: string, extra = ''): RegExp =>
  new RegExp(`^Bearer realm="tenantgate", error="${error}", error_description="[^"]+"${extra}${escape(BASIC_SUFFIX)}$`);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`, 'utf8').toString('base64');

// ---------------------------------------------------------------- the table

let issuer: TestIssuer;
let downIssuer: TestIssuer;
/** Policy 1234567890 (tenant-1). */
let tokenOne: string;
/** Policy 9876543210 (tenant-2, tenant-3). */
let tokenTwo: string;
/** Both policies at once: a read-only virtual policy. */
let tokenBoth: string;
/** Signed by the issuer that is down. */
let tokenDown: string;

const optionsFor = (trusted: TestIssuer, extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions => ({
  issuerUrl: trusted.url,
  audience: trusted.audience,
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: POLICIES,
  ...extra,
});

beforeAll(async () => {
  [issuer, downIssuer] = await Promise.all([createTestIssuer(), createTestIssuer()]);
  // Down from the start: no authenticator ever saw its keys.
  downIssuer.fail('down');
  [tokenOne, tokenTwo, tokenBoth, tokenDown] = await Promise.all([
    issuer.sign({ sub: 'pref-1234567890-abc' }),
    issuer.sign({ sub: 'pref-9876543210-xyz' }),
    issuer.sign({ sub: ['pref-1234567890-abc', 'pref-9876543210-xyz'] }),
    downIssuer.sign({ sub: 'pref-1234567890-abc' }),
  ]);
});

afterAll(async () => {
  await Promise.all([issuer?.close(), downIssuer?.close()]);
});

describe.each(variants)('$name adapter', (variant) => {
  let auths: Authenticators;
  let app: RunningApp;
  const at = (path: string): string => `${app.url}${path}`;

  beforeAll(async () => {
    auths = {
      main: createAuthenticator(optionsFor(issuer)),
      tenantHeader: createAuthenticator(optionsFor(issuer, { tenantHeader: 'x-scope-orgid', requireTenant: false })),
      down: createAuthenticator(optionsFor(downIssuer, { jwks: { timeout: '1s' } })),
      optionalTenant: createAuthenticator(optionsFor(issuer, { requireTenant: false })),
    };
    app = await variant.start(auths);
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all(Object.values(auths ?? {}).map((auth: Authenticator) => auth.close()));
  });

  it('runs the framework version it is named after', () => {
    const manifest = JSON.parse(
      readFileSync(new URL(`../../node_modules/${variant.package}/package.json`, import.meta.url), 'utf8'),
    ) as { name: string; version: string };
    expect(manifest.name).toBe(variant.family);
    expect(Number(manifest.version.split('.')[0])).toBe(variant.major);
  });

  it('answers 200 with the result attached for Bearer tenant:jwt, on read and write routes', async () => {
    const read = await request(at('/metrics'), { headers: { authorization: `Bearer tenant-1:${tokenOne}` } });
    expect(read.status).toBe(200);
    expect(json(read)).toMatchObject({ tenant: 'tenant-1', policy: '1234567890', subject: 'pref-1234567890-abc' });
    expectNoSecrets(read, secretsOf(tokenOne));

    const write = await request(at('/push'), { method: 'POST', headers: { authorization: `Bearer tenant-1:${tokenOne}` } });
    expect(write.status).toBe(200);
    expect(json(write)).toMatchObject({ tenant: 'tenant-1', policy: '1234567890', subject: 'pref-1234567890-abc' });
  });

  it('answers 200 for Basic credentials (username = tenant)', async () => {
    const encoded = basic('tenant-3', tokenTwo);
    const reply = await request(at('/metrics'), { headers: { authorization: `Basic ${encoded}` } });
    expect(reply.status).toBe(200);
    expect(json(reply)).toMatchObject({ tenant: 'tenant-3', policy: '9876543210', subject: 'pref-9876543210-xyz' });
    expectNoSecrets(reply, secretsOf(tokenTwo, encoded));
  });

  it('leaves public routes outside the protection open', async () => {
    const reply = await request(at('/health'));
    expect(reply.status).toBe(200);
    expect(json(reply)).toEqual({ ok: true });
    expect(reply.headers['www-authenticate']).toBeUndefined();
  });

  it('answers 401 with a bare challenge (no error attribute) when no credentials are sent', async () => {
    for (const [method, path] of [['GET', '/metrics'], ['POST', '/push']] as const) {
      const reply = await request(at(path), { method });
      expectRefusal(reply, { status: 401, error: 'unauthorized', challenge: BARE_CHALLENGE }, []);
      expect(reply.headers['www-authenticate']).not.toContain('error=');
    }
  });

  it('answers 401 invalid_token for a token with a broken signature', async () => {
    const [header, payload, signature = ''] = tokenOne.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const reply = await request(at('/metrics'), { headers: { authorization: `Bearer tenant-1:${forged}` } });
    expectRefusal(reply, { status: 401, error: 'invalid_token', challenge: challengeWith('invalid_token') }, [
      ...secretsOf(forged),
      ...secretsOf(tokenOne),
    ]);
  });

  it('answers 400 invalid_request for malformed credentials', async () => {
    const malformed = ['Bearer', 'Basic not*base64!', `Bearer ${tokenOne}`, `Token tenant-1:${tokenOne}`];
    for (const authorization of malformed) {
      const reply = await request(at('/metrics'), { headers: { authorization } });
      expectRefusal(
        reply,
        { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') },
        secretsOf(tokenOne),
      );
    }
  });

  it('answers 403 insufficient_scope when the policy does not cover the tenant', async () => {
    const reply = await request(at('/metrics'), { headers: { authorization: `Bearer tenant-2:${tokenOne}` } });
    expectRefusal(reply, { status: 403, error: 'insufficient_scope', challenge: challengeWith('insufficient_scope') }, secretsOf(tokenOne));
    expect(reply.headers['www-authenticate']).not.toContain('scope="');
  });

  it('answers 403 with scope="metrics:write" when a virtual (read-only) policy writes', async () => {
    const read = await request(at('/metrics'), { headers: { authorization: `Bearer tenant-2:${tokenBoth}` } });
    expect(read.status).toBe(200);
    expect(json(read)).toMatchObject({ tenant: 'tenant-2', policy: 'virtual:1234567890,9876543210' });

    const write = await request(at('/push'), { method: 'POST', headers: { authorization: `Bearer tenant-2:${tokenBoth}` } });
    expectRefusal(
      write,
      { status: 403, error: 'insufficient_scope', challenge: challengeWith('insufficient_scope', ', scope="metrics:write"') },
      secretsOf(tokenBoth),
    );
  });

  it('answers 503 with Retry-After when the issuer has been down from the start', async () => {
    const reply = await request(at('/down/metrics'), { headers: { authorization: `Bearer tenant-1:${tokenDown}` } });
    expectRefusal(
      reply,
      { status: 503, error: 'temporarily_unavailable', challenge: BARE_CHALLENGE, retryAfter: true },
      secretsOf(tokenDown),
    );
    expect(downIssuer.requests.discovery).toBeGreaterThan(0);
  });

  it('answers 400 to two Authorization headers, which Node folds into one', async () => {
    const line = `Authorization: Bearer tenant-1:${tokenOne}`;
    const single = await rawRequest(app.url, 'GET', '/metrics', [line]);
    expect(single.status).toBe(200);
    expect(json(single)).toMatchObject({ tenant: 'tenant-1' });

    const twice = await rawRequest(app.url, 'GET', '/metrics', [line, line]);
    expectRefusal(twice, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, secretsOf(tokenOne));

    const mixed = await rawRequest(app.url, 'GET', '/metrics', [line, `authorization: Bearer tenant-2:${tokenTwo}`]);
    expectRefusal(mixed, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, [
      ...secretsOf(tokenOne),
      ...secretsOf(tokenTwo),
    ]);
  });

  it('reads the tenant of a plain Bearer token from the configured tenant header', async () => {
    const allowed = await request(at('/tenant-header/metrics'), {
      headers: { authorization: `Bearer ${tokenOne}`, 'X-Scope-OrgID': 'tenant-1' },
    });
    expect(allowed.status).toBe(200);
    expect(json(allowed)).toMatchObject({ tenant: 'tenant-1', policy: '1234567890' });

    const forbidden = await request(at('/tenant-header/metrics'), {
      headers: { authorization: `Bearer ${tokenOne}`, 'X-Scope-OrgID': 'tenant-2' },
    });
    expectRefusal(forbidden, { status: 403, error: 'insufficient_scope', challenge: challengeWith('insufficient_scope') }, secretsOf(tokenOne));

    const repeated = await rawRequest(app.url, 'GET', '/tenant-header/metrics', [
      `Authorization: Bearer ${tokenOne}`,
      'X-Scope-OrgID: tenant-1',
      'X-Scope-OrgID: tenant-2',
    ]);
    expectRefusal(repeated, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, secretsOf(tokenOne));
  });

  it('replaces a client-sent forwarded tenant header with the verified tenant', async () => {
    const reply = await request(at('/gateway/metrics'), {
      headers: { authorization: `Bearer tenant-1:${tokenOne}`, 'X-Scope-OrgID': 'evil' },
    });
    expect(reply.status).toBe(200);
    expect(json(reply)).toEqual({
      tenant: 'tenant-1',
      policy: '1234567890',
      subject: 'pref-1234567890-abc',
      forwarded: 'tenant-1',
      forwardedRaw: ['tenant-1'],
    });

    // Several client lines (which Node would fold) are all replaced too.
    const raw = await rawRequest(app.url, 'GET', '/gateway/metrics', [
      'x-scope-orgid: evil',
      `Authorization: Bearer tenant-1:${tokenOne}`,
      'X-Scope-OrgID: worse',
    ]);
    expect(raw.status).toBe(200);
    expect(json(raw)).toMatchObject({ forwarded: 'tenant-1', forwardedRaw: ['tenant-1'] });

    // Credentials naming no tenant: the client's value is removed, not passed on.
    const noTenant = await rawRequest(app.url, 'GET', '/gateway/optional-tenant', [
      `Authorization: Bearer ${tokenOne}`,
      'X-Scope-OrgID: evil',
    ]);
    expect(noTenant.status).toBe(200);
    expect(json(noTenant)).toMatchObject({ tenant: null, policy: '1234567890', forwarded: null, forwardedRaw: [] });

    // Refused requests never reach the upstream handler.
    const refused = await request(at('/gateway/metrics'), {
      headers: { authorization: `Bearer tenant-2:${tokenOne}`, 'X-Scope-OrgID': 'tenant-2' },
    });
    expect(refused.status).toBe(403);
    expect(json(refused)).not.toHaveProperty('forwarded');
  });
});

describe.each(variants.filter((variant) => variant.family === 'express'))('$name passErrors', (variant) => {
  let auth: Authenticator;
  let app: RunningApp;

  beforeAll(async () => {
    auth = createAuthenticator(optionsFor(issuer));
    app = await variant.start({ main: auth, tenantHeader: auth, down: auth, optionalTenant: auth });
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
  });

  it('hands the AuthError to an error-handling middleware, which answers it', async () => {
    const missing = await request(`${app.url}/pass-errors/metrics`);
    expect(missing.status).toBe(401);
    expect(json(missing)).toEqual({ handledBy: 'error-middleware', code: 'credentials_missing' });
    expect(missing.headers['www-authenticate']).toBe(BARE_CHALLENGE);

    const wrongTenant = await request(`${app.url}/pass-errors/metrics`, {
      headers: { authorization: `Bearer tenant-2:${tokenOne}` },
    });
    expect(wrongTenant.status).toBe(403);
    expect(json(wrongTenant)).toEqual({ handledBy: 'error-middleware', code: 'tenant_forbidden' });
    expectNoSecrets(wrongTenant, secretsOf(tokenOne));

    const accepted = await request(`${app.url}/pass-errors/metrics`, {
      headers: { authorization: `Bearer tenant-1:${tokenOne}` },
    });
    expect(accepted.status).toBe(200);
    expect(json(accepted)).toMatchObject({ tenant: 'tenant-1', policy: '1234567890' });
  });
});

describe.each(variants.filter((variant) => variant.family === 'fastify'))('$name encapsulation', (variant) => {
  let auth: Authenticator;
  let app: RunningApp;

  beforeAll(async () => {
    auth = createAuthenticator(optionsFor(issuer));
    app = await variant.start({ main: auth, tenantHeader: auth, down: auth, optionalTenant: auth });
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
  });

  it('protects only the routes of the context the plugin is registered in', async () => {
    const protectedRoute = await request(`${app.url}/metrics`);
    expect(protectedRoute.status).toBe(401);
    const root = await request(`${app.url}/health`);
    expect(root.status).toBe(200);
    // A sibling context without the plugin: open, with nothing attached.
    const sibling = await request(`${app.url}/public/ping`, { headers: { authorization: `Bearer tenant-1:${tokenOne}` } });
    expect(sibling.status).toBe(200);
    expect(json(sibling)).toEqual({ auth: null });
  });
});
