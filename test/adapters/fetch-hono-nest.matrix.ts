// The behaviour table of test/adapters/adapters.test.ts, for the adapters on Web requests and
// on Nest: each test file starts its framework's apps and runs this table over real HTTP.
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator, type AuthenticatorOptions, type AuthResult } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

// GEM's documentation examples.
export const POLICIES = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }] },
};

export const BARE_CHALLENGE = 'Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"';
const BASIC_SUFFIX = ', Basic realm="tenantgate", charset="UTF-8"';

/** The scope of a request by its method, as a scope function would choose it. */
export const readOrWrite = (method: unknown): string => (method === 'GET' || method === 'HEAD' ? 'metrics:read' : 'metrics:write');

/** The authenticators an app protects its routes with. */
export interface Authenticators {
  /** The GEM configuration: `/metrics` (read), `/push` (write). */
  main: Authenticator;
  /** Also reads the tenant of a plain `Bearer <jwt>` from `X-Scope-OrgID`: `/tenant-header/metrics`. */
  tenantHeader: Authenticator;
  /** Trusts an issuer that has been down since before the first request: `/down/metrics`. */
  down: Authenticator;
}

export interface RunningApp {
  /** The absolute URL of a path of the app (apps with several servers pick the right one). */
  at(path: string): string;
  close(): Promise<void>;
}

export type ScopeForm = 'function' | 'string';

export interface Variant {
  name: string;
  scopeForm: ScopeForm;
  /** Serves `/health` (public), `/metrics`, `/push`, `/tenant-header/metrics` and `/down/metrics`, each answering {@link echo}. */
  start(auths: Authenticators, scopeForm: ScopeForm): Promise<RunningApp>;
}

/** What every protected handler answers. */
export function echo(result: AuthResult | undefined): { tenant: string | null; policy: string | null; subject: string | null } {
  return { tenant: result?.tenant ?? null, policy: result?.accessPolicy.name ?? null, subject: result?.subject ?? null };
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export async function request(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(url, { method: options.method ?? 'GET', headers: options.headers });
  return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
}

/** Sends a hand-written HTTP/1.1 request over a plain socket, so that a header can be repeated. */
export async function rawRequest(url: string, method: string, headerLines: string[]): Promise<Reply> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  socket.write([`${method} ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, 'Connection: close', '', ''].join('\r\n'));
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

export function json(reply: Reply): unknown {
  return JSON.parse(reply.text) as unknown;
}

/** Neither a header nor the body of the reply repeats one of `secrets`. */
export function expectNoSecrets(reply: Reply, secrets: string[]): void {
  const everything = [...Object.values(reply.headers), reply.text].join('\n');
  for (const secret of secrets) expect(everything).not.toContain(secret);
}

export function secretsOf(token: string, ...encodings: string[]): string[] {
  return [token, ...token.split('.'), ...encodings];
}

interface Refusal {
  status: number;
  error: string;
  challenge: string | RegExp;
  retryAfter?: boolean;
}

export function expectRefusal(reply: Reply, expected: Refusal, secrets: string[]): void {
  expect(reply.status).toBe(expected.status);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  if (typeof expected.challenge === 'string') expect(reply.headers['www-authenticate']).toBe(expected.challenge);
  else expect(reply.headers['www-authenticate']).toMatch(expected.challenge);
  if (expected.retryAfter) expect(reply.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  else expect(reply.headers['retry-after']).toBeUndefined();
  expect(reply.headers['cache-control']).toBe('no-store');
  const body = json(reply);
  expect(body).toEqual({ error: expected.error, error_description: expect.stringMatching(/\S/) });
  // Exactly the two members, in this order: the bytes every adapter sends.
  expect(reply.text).toBe(JSON.stringify(body));
  expectNoSecrets(reply, secrets);
}

/** A challenge carrying an RFC 6750 error, followed by the Basic challenge. */
export const challengeWith = (error: string, extra = ''): RegExp =>
  new RegExp(`^Bearer realm="tenantgate", error="${error}", error_description="[^"]+"${extra}${escape(BASIC_SUFFIX)}$`);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`, 'utf8').toString('base64');

/** Runs the behaviour table against every variant. */
export function runMatrix(variants: Variant[]): void {
  let issuer: TestIssuer;
  let downIssuer: TestIssuer;
  let tokenOne: string;
  let tokenTwo: string;
  let tokenBoth: string;
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

  describe.each(variants)('$name', (variant) => {
    let auths: Authenticators;
    let app: RunningApp;
    const at = (path: string): string => app.at(path);

    beforeAll(async () => {
      auths = {
        main: createAuthenticator(optionsFor(issuer)),
        tenantHeader: createAuthenticator(optionsFor(issuer, { tenantHeader: 'x-scope-orgid', requireTenant: false })),
        down: createAuthenticator(optionsFor(downIssuer, { jwks: { timeout: '1s' } })),
      };
      app = await variant.start(auths, variant.scopeForm);
    });

    afterAll(async () => {
      await app?.close();
      await Promise.all(Object.values(auths ?? {}).map((auth: Authenticator) => auth.close()));
    });

    it('answers 200 with the result for Bearer tenant:jwt, on read and write routes', async () => {
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

    it('leaves public routes open', async () => {
      const reply = await request(at('/health'));
      expect(reply.status).toBe(200);
      expect(json(reply)).toEqual({ ok: true });
      expect(reply.headers['www-authenticate']).toBeUndefined();
    });

    it('answers 401 with a bare challenge when no credentials are sent', async () => {
      for (const [method, path] of [['GET', '/metrics'], ['POST', '/push']] as const) {
        const reply = await request(at(path), { method });
        expectRefusal(reply, { status: 401, error: 'unauthorized', challenge: BARE_CHALLENGE }, []);
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
      for (const authorization of ['Bearer', 'Basic not*base64!', `Bearer ${tokenOne}`, `Token tenant-1:${tokenOne}`]) {
        const reply = await request(at('/metrics'), { headers: { authorization } });
        expectRefusal(reply, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, secretsOf(tokenOne));
      }
    });

    it('answers 403 when the policy does not cover the tenant', async () => {
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
      expectRefusal(reply, { status: 503, error: 'temporarily_unavailable', challenge: BARE_CHALLENGE, retryAfter: true }, secretsOf(tokenDown));
    });

    it('answers 400 to two Authorization headers', async () => {
      const line = `Authorization: Bearer tenant-1:${tokenOne}`;
      const single = await rawRequest(at('/metrics'), 'GET', [line]);
      expect(single.status).toBe(200);
      expect(json(single)).toMatchObject({ tenant: 'tenant-1' });
      const twice = await rawRequest(at('/metrics'), 'GET', [line, line]);
      expectRefusal(twice, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, secretsOf(tokenOne));
      const mixed = await rawRequest(at('/metrics'), 'GET', [line, `authorization: Bearer tenant-2:${tokenTwo}`]);
      expectRefusal(mixed, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, [
        ...secretsOf(tokenOne),
        ...secretsOf(tokenTwo),
      ]);
    });

    it('reads the tenant of a plain Bearer token from the configured tenant header', async () => {
      const allowed = await request(at('/tenant-header/metrics'), { headers: { authorization: `Bearer ${tokenOne}`, 'X-Scope-OrgID': 'tenant-1' } });
      expect(allowed.status).toBe(200);
      expect(json(allowed)).toMatchObject({ tenant: 'tenant-1', policy: '1234567890' });
      const forbidden = await request(at('/tenant-header/metrics'), { headers: { authorization: `Bearer ${tokenOne}`, 'X-Scope-OrgID': 'tenant-2' } });
      expectRefusal(forbidden, { status: 403, error: 'insufficient_scope', challenge: challengeWith('insufficient_scope') }, secretsOf(tokenOne));
      const repeated = await rawRequest(at('/tenant-header/metrics'), 'GET', [
        `Authorization: Bearer ${tokenOne}`,
        'X-Scope-OrgID: tenant-1',
        'X-Scope-OrgID: tenant-2',
      ]);
      expectRefusal(repeated, { status: 400, error: 'invalid_request', challenge: challengeWith('invalid_request') }, secretsOf(tokenOne));
    });
  });
}
