/**
 * Discovery, JWKS and verified-token cache behaviour (DESIGN.md items 4-9 and 11),
 * exercised through the public API against a real local issuer over HTTP.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, sign as signBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuthenticator,
  type AuthEvent,
  type Authenticator,
  type AuthenticatorOptions,
  type IssuerStatus,
  type NamedAccessPolicy,
} from '../../src/index.js';
import { createTestIssuer, type TestIssuer, type TestIssuerOptions, type TestSignOptions } from '../../src/testing.js';

type EventOf<T extends AuthEvent['type']> = Extract<AuthEvent, { type: T }>;

interface Waiter {
  matches: (event: AuthEvent) => boolean;
  resolve: (event: AuthEvent) => void;
}

const MiB = 1024 * 1024;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

// ---------------------------------------------------------------------------------------------
// Per-test state and helpers
// ---------------------------------------------------------------------------------------------

let issuerUnderTest: TestIssuer | undefined;
let authUnderTest: Authenticator | undefined;
let events: AuthEvent[] = [];
let waiters: Waiter[] = [];
/** Every token handed to the authenticator in the current test, to prove no event leaks one. */
let tokensSeen = new Set<string>();
let extraServers: Server[] = [];

afterEach(async () => {
  await authUnderTest?.close();
  await issuerUnderTest?.close();
  for (const server of extraServers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  vi.useRealTimers();
  const leaked = tokenLeaks();
  authUnderTest = undefined;
  issuerUnderTest = undefined;
  events = [];
  waiters = [];
  tokensSeen = new Set();
  extraServers = [];
  // No event of any test may carry a token (or its signature) it was given.
  expect(leaked).toEqual([]);
});

function tokenLeaks(): string[] {
  const serialized = events.map((event) => JSON.stringify(event)).join('\n');
  const leaks: string[] = [];
  for (const token of tokensSeen) {
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (serialized.includes(token) || (signature.length > 16 && serialized.includes(signature))) leaks.push(token);
  }
  return leaks;
}

function record(event: AuthEvent): void {
  events.push(event);
  const pending = waiters;
  waiters = [];
  for (const waiter of pending) {
    if (waiter.matches(event)) waiter.resolve(event);
    else waiters.push(waiter);
  }
}

/** The next event of `type` (matching `predicate`) emitted from now on. Call it before the action. */
function nextEvent<T extends AuthEvent['type']>(
  type: T,
  predicate: (event: EventOf<T>) => boolean = () => true,
): Promise<EventOf<T>> {
  return new Promise((resolve) => {
    waiters.push({
      matches: (event) => event.type === type && predicate(event as EventOf<T>),
      resolve: (event) => resolve(event as EventOf<T>),
    });
  });
}

function eventsOf<T extends AuthEvent['type']>(type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

async function startIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  issuerUnderTest = await createTestIssuer(options);
  return issuerUnderTest;
}

function issuer(): TestIssuer {
  if (issuerUnderTest === undefined) throw new Error('no issuer started');
  return issuerUnderTest;
}

type Overrides = Omit<Partial<AuthenticatorOptions>, 'jwks'> & { jwks?: AuthenticatorOptions['jwks'] };

async function grantEverything(names: string[]): Promise<NamedAccessPolicy[]> {
  return names.map((name) => ({ name, scopes: ['metrics:read'], realms: [{ tenant: '*' }] }));
}

function startAuth(overrides: Overrides = {}): Authenticator {
  const { jwks, ...rest } = overrides;
  authUnderTest = createAuthenticator({
    issuerUrl: issuer().url,
    audience: issuer().audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '(.*)',
    // Every name extracted from `sub` resolves to a policy covering every tenant, so the
    // outcome of a request depends only on the token and its keys.
    accessPolicies: grantEverything,
    jwks: { timeout: '300ms', cooldown: '30s', ...jwks },
    onEvent: record,
    ...rest,
  });
  return authUnderTest;
}

/** A fresh issuer and authenticator. */
async function setup(overrides: Overrides = {}, issuerOptions: TestIssuerOptions = {}) {
  const started = await startIssuer(issuerOptions);
  return { issuer: started, auth: startAuth(overrides) };
}

async function sign(claims: Record<string, unknown> = {}, options: TestSignOptions = {}): Promise<string> {
  const token = await issuer().sign({ sub: 'client', ...claims }, options);
  tokensSeen.add(token);
  return token;
}

function bearer(token: string): { authorization: string } {
  tokensSeen.add(token);
  return { authorization: `Bearer tenant-1:${token}` };
}

/** The AuthError `promise` rejects with; fails the test if it resolves or rejects otherwise. */
async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (!(outcome instanceof AuthError)) {
    throw new Error(`expected an AuthError, got ${outcome === undefined ? 'success' : String(outcome)}`);
  }
  return outcome;
}

async function expectRefused(promise: Promise<unknown>, status: number, code: string): Promise<AuthError> {
  const error = await refusal(promise);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  return error;
}

async function expectUnavailable(promise: Promise<unknown>): Promise<AuthError> {
  const error = await expectRefused(promise, 503, 'issuer_unavailable');
  expect(error.retryAfter).toBeGreaterThan(0);
  return error;
}

function issuerStatus(auth: Authenticator): IssuerStatus {
  const [status] = auth.status().issuers;
  if (status === undefined) throw new Error('no issuer status');
  return status;
}

function lastError(auth: Authenticator): string {
  const error = issuerStatus(auth).lastError;
  expect(error).toBeTypeOf('string');
  return error ?? '';
}

/** The issuer's own published signing key (public JWK). */
function realJwk(): JWK {
  const [jwk] = issuer().jwks.keys;
  if (jwk === undefined) throw new Error('the issuer publishes no key');
  return jwk;
}

/** Events of the verified-token cache (the policy cache reports too). */
function tokenCacheEvents(): EventOf<'cache'>[] {
  return eventsOf('cache').filter((event) => event.cache === 'token');
}

function skippedReasons(): string[] {
  return eventsOf('key_skipped').map((event) => event.reason);
}

/** A compact RS256 JWS made with node:crypto directly (jose refuses RSA keys under 2048 bits). */
function signRaw(privateKey: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encode = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const token = `${input}.${signBytes('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  tokensSeen.add(token);
  return token;
}

function standardClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer().url, aud: issuer().audience, iat: now, exp: now + 300, sub: 'raw' };
}

/** Changes one character in the middle of the signature, so the signature bytes change. */
function alterOneCharacter(token: string): string {
  const at = token.lastIndexOf('.') + 1 + Math.floor((token.length - token.lastIndexOf('.')) / 2);
  const replacement = token[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
}

/** Starts a plain HTTP server on 127.0.0.1 (closed after the test) and returns its URL. */
async function startRawServer(handler: (response: ServerResponse) => void): Promise<string> {
  const server = createServer((_request, response) => handler(response));
  extraServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
}

/** A fetch that sends requests for the test issuer's JWKS to `url` instead. */
function jwksServedFrom(url: string): typeof globalThis.fetch {
  const jwksUri = issuer().jwksUri;
  return (input, init) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return globalThis.fetch(target === jwksUri ? url : input, init);
  };
}

function useFakeDate(at: number = T0): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
}

// ---------------------------------------------------------------------------------------------
// Discovery (items 4 and 5)
// ---------------------------------------------------------------------------------------------

describe('discovery', () => {
  it('refuses a discovery document naming another issuer, naming both values', async () => {
    const { issuer, auth } = await setup();
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, issuer: 'https://other' } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    const error = await expectUnavailable(auth.ready());
    expect(error.message).toContain('https://other');
    expect(error.message).toContain(issuer.url);
    const recorded = lastError(auth);
    expect(recorded).toContain('https://other');
    expect(recorded).toContain(issuer.url);
    expect(issuer.requests.jwks).toBe(0);
    expect(eventsOf('discovery')).toEqual([
      expect.objectContaining({ issuer: issuer.url, ok: false, error: expect.stringContaining('https://other') }),
    ]);
  });

  it('refuses a jwks_uri over plain http off loopback without fetching it', async () => {
    const fetched: string[] = [];
    const fetchSpy: typeof globalThis.fetch = (input, init) => {
      fetched.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return globalThis.fetch(input, init);
    };
    const { issuer, auth } = await setup({ fetch: fetchSpy });
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, jwks_uri: 'http://idp.example.com/jwks' } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('http://idp.example.com/jwks');
    expect(fetched).toEqual([issuer.discoveryUrl]);
    expect(issuer.requests.jwks).toBe(0);
  });

  it('does not follow a redirect of the discovery document', async () => {
    const { issuer, auth } = await setup();
    issuer.override('discovery', { status: 302, headers: { location: issuer.discoveryUrl }, body: '' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('redirect');
    expect(issuer.requests.discovery).toBe(1);
    expect(issuer.requests.jwks).toBe(0);
  });

  it('does not follow a redirect of the JWKS', async () => {
    const { issuer, auth } = await setup();
    // Following it would show up as a second discovery request.
    issuer.override('jwks', { status: 302, headers: { location: issuer.discoveryUrl }, body: '' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('redirect');
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
    expect(eventsOf('jwks_refresh')).toEqual([expect.objectContaining({ ok: false, keys: 0 })]);
  });

  it('refuses a discovery document over 1 MiB (declared by content-length)', async () => {
    const { issuer, auth } = await setup();
    const body = `${' '.repeat(2 * MiB)}${JSON.stringify(issuer.discoveryDocument)}`;
    issuer.override('discovery', { headers: { 'content-length': String(body.length) }, body });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain(`over ${MiB} bytes`);
    expect(issuer.requests.jwks).toBe(0);
  });

  it('refuses a JWKS over 1 MiB (declared by content-length)', async () => {
    const { issuer, auth } = await setup();
    const body = `${' '.repeat(2 * MiB)}${JSON.stringify(issuer.jwks)}`;
    issuer.override('jwks', { headers: { 'content-length': String(body.length) }, body });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain(`over ${MiB} bytes`);
  });

  it('refuses a JWKS over 1 MiB sent chunked, without content-length', async () => {
    const { issuer, auth } = await setup();
    // The test issuer sends a body given this way with chunked transfer encoding.
    issuer.override('jwks', { body: { ...issuer.jwks, padding: 'x'.repeat(2 * MiB) } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain(`over ${MiB} bytes`);
  });

  it('stops reading a streamed JWKS once it passes 1 MiB and drops the connection', async () => {
    const total = 64 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let resolveClosed: (outcome: { sent: number; finished: boolean }) => void = () => undefined;
    const closed = new Promise<{ sent: number; finished: boolean }>((resolve) => {
      resolveClosed = resolve;
    });
    const jwksUrl = await startRawServer((response) => {
      let sent = 0;
      // No content-length: chunked transfer encoding.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.on('close', () => resolveClosed({ sent, finished: response.writableFinished }));
      const pump = (): void => {
        while (sent < total && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        if (sent >= total) response.end('{"keys":[]}');
      };
      pump();
    });
    await startIssuer();
    const auth = startAuth({ fetch: jwksServedFrom(jwksUrl), jwks: { timeout: '10s' } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain(`over ${MiB} bytes`);
    const outcome = await closed;
    expect(outcome.finished).toBe(false);
    expect(outcome.sent).toBeLessThan(total);
  });

  it('refuses a body declared over 1 MiB before reading any of it', async () => {
    // The headers promise 2 MiB but no byte of the body ever comes: only the declared
    // length can cause the refusal; reading would end in a timeout instead.
    const jwksUrl = await startRawServer((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * MiB) });
      response.flushHeaders();
    });
    await startIssuer();
    const auth = startAuth({ fetch: jwksServedFrom(jwksUrl), jwks: { timeout: '2s' } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain(`over ${MiB} bytes`);
  });

  it('refuses a JWKS of more than 100 keys as a whole', async () => {
    const { issuer, auth } = await setup();
    const jwk = realJwk();
    const keys = Array.from({ length: 1000 }, (_, index) => ({ ...jwk, kid: index === 0 ? jwk.kid : `extra-${index}` }));
    issuer.override('jwks', { body: { keys } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('more than 100 keys');
    expect(issuerStatus(auth).keys).toBe(0);
  });

  it('refuses a JWKS that is not valid JSON', async () => {
    const { issuer, auth } = await setup();
    issuer.override('jwks', { body: '{"keys": [' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('valid JSON');
  });

  it('refuses a discovery document that is not valid JSON', async () => {
    const { issuer, auth } = await setup();
    issuer.override('discovery', { body: 'not json' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('valid JSON');
  });

  it('refuses a JWKS without a keys array', async () => {
    const { issuer, auth } = await setup();
    issuer.override('jwks', { body: { keys: 'none' } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('"keys"');
  });

  it('answers 503 within the timeout when the issuer hangs', async () => {
    const { issuer, auth } = await setup();
    issuer.fail('hang');

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('timed out');
    expect(issuer.requests.discovery).toBe(1);
  });

  it('answers 503 when the JWKS endpoint hangs after a good discovery', async () => {
    const { issuer, auth } = await setup();
    issuer.fail('hang', { endpoint: 'jwks' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('timed out');
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
  });

  it('times out an answer that comes too late', async () => {
    const { issuer, auth } = await setup();
    issuer.fail('slow', { endpoint: 'jwks', delay: '5s' });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(lastError(auth)).toContain('timed out');
  });
});

// ---------------------------------------------------------------------------------------------
// Which keys count (item 9)
// ---------------------------------------------------------------------------------------------

describe('key selection', () => {
  it('skips a private key and answers 503 when no usable key remains', async () => {
    const { issuer, auth } = await setup();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'private-1', alg: 'RS256' } as JWK;
    issuer.override('jwks', { body: { keys: [privateJwk] } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(skippedReasons()).toEqual(['private key material']);
    expect(eventsOf('key_skipped')[0]).toEqual({ type: 'key_skipped', issuer: issuer.url, reason: 'private key material' });
    expect(issuerStatus(auth).keys).toBe(0);
    const ready = await expectUnavailable(auth.ready());
    expect(ready.message).toContain(issuer.url);
  });

  it('skips an RSA key under 2048 bits with an event, never a 500', async () => {
    const { issuer, auth } = await setup();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    issuer.publish({ ...publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256', use: 'sig' } as JWK);

    // The issuer's real key still works.
    await expect(auth.authenticate(bearer(await sign()))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(skippedReasons()).toEqual(['RSA key under 2048 bits']);
    expect(issuerStatus(auth).keys).toBe(1);

    // A token signed by the weak key finds no key.
    const weakToken = signRaw(privateKey, { alg: 'RS256', kid: 'weak', typ: 'JWT' }, standardClaims());
    await expectRefused(auth.authenticate(bearer(weakToken)), 401, 'key_not_found');
  });

  it('answers 503 (not 500) when the only key is an RSA key under 2048 bits', async () => {
    const { issuer, auth } = await setup();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    issuer.override('jwks', { body: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'weak' }] } });

    await expectUnavailable(auth.authenticate(bearer(await sign())));

    expect(skippedReasons()).toEqual(['RSA key under 2048 bits']);
  });

  it("skips a key with use 'enc' even when its material matches the token", async () => {
    const { issuer, auth } = await setup();
    issuer.publish({ ...realJwk(), kid: 'enc-key', use: 'enc' });

    const token = await sign({}, { header: { kid: 'enc-key' } });
    await expectRefused(auth.authenticate(bearer(token)), 401, 'key_not_found');

    expect(skippedReasons()).toEqual([expect.stringContaining('use')]);
    expect(issuerStatus(auth).keys).toBe(1);
  });

  it("skips a key whose key_ops lack 'verify' and keeps one that has it", async () => {
    const { issuer, auth } = await setup();
    const { use: _use, ...material } = realJwk();
    issuer.publish({ ...material, kid: 'encrypt-only', key_ops: ['encrypt'] });
    issuer.publish({ ...material, kid: 'verify-ok', key_ops: ['verify'] });

    await expectRefused(
      auth.authenticate(bearer(await sign({}, { header: { kid: 'encrypt-only' } }))),
      401,
      'key_not_found',
    );
    expect(skippedReasons()).toEqual([expect.stringContaining('key_ops')]);
    expect(issuerStatus(auth).keys).toBe(2);

    await expect(
      auth.authenticate(bearer(await sign({}, { header: { kid: 'verify-ok' } }))),
    ).resolves.toMatchObject({ tenant: 'tenant-1' });
  });

  it('tries each of several keys sharing a kid', async () => {
    const { issuer, auth } = await setup();
    const jwk = realJwk();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const decoy = { ...publicKey.export({ format: 'jwk' }), kid: jwk.kid, alg: 'RS256', use: 'sig' };
    issuer.override('jwks', { body: { keys: [decoy, jwk] } });

    await expect(auth.authenticate(bearer(await sign()))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(issuerStatus(auth).keys).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Rotation, cooldown and single flight (items 5, 6 and 8)
// ---------------------------------------------------------------------------------------------

describe('rotation', () => {
  it('accepts a new kid after exactly one extra JWKS fetch once the cooldown has passed', async () => {
    useFakeDate();
    const { issuer, auth } = await setup();
    await auth.ready();
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });

    const kid = await issuer.rotate();
    const token = await sign({}, { kid });

    // Within the cooldown of the warm-up fetch, the unknown kid causes no fetch.
    await expectRefused(auth.authenticate(bearer(token)), 401, 'key_not_found');
    expect(issuer.requests.jwks).toBe(1);

    vi.setSystemTime(T0 + 31 * SECOND);
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2, introspection: 0 });
    expect(issuerStatus(auth).keys).toBe(2);
  });

  it('accepts a new kid at once with a zero cooldown, with one extra JWKS fetch', async () => {
    const { issuer, auth } = await setup({ jwks: { cooldown: 0 } });
    await auth.authenticate(bearer(await sign()));
    const kid = await issuer.rotate();

    await expect(auth.authenticate(bearer(await sign({}, { kid })))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2, introspection: 0 });
  });

  it('refuses a cached token at once when its key leaves the JWKS', async () => {
    useFakeDate();
    const { issuer, auth } = await setup();
    const [kidA] = issuer.kids;
    const tokenA = await sign();
    await auth.authenticate(bearer(tokenA));
    await auth.authenticate(bearer(tokenA));
    expect(tokenCacheEvents().map((event) => event.hit)).toEqual([false, true]);

    const kidB = await issuer.rotate();
    issuer.removeKey(kidA ?? '');
    vi.setSystemTime(T0 + 31 * SECOND);
    // An unknown kid after the cooldown refreshes the keys; kid A is gone from them.
    await expect(auth.authenticate(bearer(await sign({}, { kid: kidB })))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(issuer.requests.jwks).toBe(2);

    events = [];
    await expectRefused(auth.authenticate(bearer(tokenA)), 401, 'key_not_found');
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: false }]);
    expect(eventsOf('rejected')).toEqual([expect.objectContaining({ code: 'key_not_found' })]);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('refreshes stale keys on a cache hit too, and then refuses the cached token of a removed key', async () => {
    useFakeDate();
    let fetches = 0;
    const countingFetch: typeof globalThis.fetch = (input, init) => {
      fetches += 1;
      return globalThis.fetch(input, init);
    };
    const { issuer, auth } = await setup({ fetch: countingFetch, jwks: { maxAge: '1m' }, cache: { ttl: '10m' } });
    const [kidA] = issuer.kids;
    const tokenA = await sign({}, { expiresIn: '10m' });
    await auth.authenticate(bearer(tokenA));
    expect(fetches).toBe(2);

    await issuer.rotate();
    issuer.removeKey(kidA ?? '');
    vi.setSystemTime(T0 + 2 * MINUTE);
    const refreshed = nextEvent('jwks_refresh', (event) => event.ok);
    events = [];
    // Served from the cache (stale-while-revalidate), but the keys are past maxAge: a refresh starts.
    await expect(auth.authenticate(bearer(tokenA))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: true }]);
    expect(fetches).toBeGreaterThan(2);
    await refreshed;

    await expectRefused(auth.authenticate(bearer(tokenA)), 401, 'key_not_found');
  });

  it('stops serving cached tokens once the keys are older than maxAge + maxStale', async () => {
    useFakeDate();
    const { issuer, auth } = await setup({ jwks: { maxAge: '1m', maxStale: '1m' }, cache: { ttl: '10m' } });
    const token = await sign({}, { expiresIn: '10m' });
    await auth.authenticate(bearer(token));
    issuer.fail('down');

    vi.setSystemTime(T0 + 3 * MINUTE);
    events = [];
    await expectUnavailable(auth.authenticate(bearer(token)));
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: false }]);
    expect(issuerStatus(auth).ready).toBe(false);
  });

  it('fetches the JWKS at most once per cooldown for 1000 concurrent unknown kids', async () => {
    const { issuer, auth } = await setup();
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => sign({}, { header: { kid: randomBytes(12).toString('base64url') } })),
    );

    const outcomes = await Promise.all(tokens.map((token) => refusal(auth.authenticate(bearer(token)))));

    expect(outcomes.every((error) => error.status === 401 && error.code === 'key_not_found')).toBe(true);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
  });

  it('refetches once for 1000 concurrent unknown kids after the cooldown of the warm-up', async () => {
    useFakeDate();
    const { issuer, auth } = await setup();
    await auth.ready();
    vi.setSystemTime(T0 + 31 * SECOND);
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => sign({}, { header: { kid: randomBytes(12).toString('base64url') } })),
    );

    const outcomes = await Promise.all(tokens.map((token) => refusal(auth.authenticate(bearer(token)))));

    expect(outcomes.every((error) => error.status === 401 && error.code === 'key_not_found')).toBe(true);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2, introspection: 0 });
  });

  it('makes one discovery and one JWKS fetch for 1000 concurrent first requests', async () => {
    const { issuer, auth } = await setup();
    const tokens = await Promise.all(Array.from({ length: 1000 }, (_, index) => sign({ sub: `client-${index}` })));

    const results = await Promise.all(tokens.map((token) => auth.authenticate(bearer(token))));

    expect(new Set(results.map((result) => result.subject)).size).toBe(1000);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
    expect(eventsOf('jwks_refresh')).toHaveLength(1);
  });

  it('verifies one token once for 1000 concurrent requests carrying it', async () => {
    const { issuer, auth } = await setup();
    const token = await sign();

    const results = await Promise.all(Array.from({ length: 1000 }, () => auth.authenticate(bearer(token))));

    expect(results).toHaveLength(1000);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// Outages: backoff, stale-if-error, recovery (items 5 and 7)
// ---------------------------------------------------------------------------------------------

describe('outages', () => {
  it('backs off while the issuer is down from the start: one discovery per cooldown', async () => {
    useFakeDate();
    const { issuer, auth } = await setup();
    issuer.fail('down');
    const token = await sign();

    for (let attempt = 0; attempt < 50; attempt += 1) {
      await expectUnavailable(auth.authenticate(bearer(token)));
    }
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 0, introspection: 0 });
    expect(lastError(auth)).toContain('500');

    vi.setSystemTime(T0 + 31 * SECOND);
    await expectUnavailable(auth.authenticate(bearer(token)));
    expect(issuer.requests).toEqual({ discovery: 2, jwks: 0, introspection: 0 });
  });

  it('backs off after a failed JWKS fetch too', async () => {
    const { issuer, auth } = await setup();
    issuer.fail('down', { endpoint: 'jwks' });
    const token = await sign();

    for (let attempt = 0; attempt < 20; attempt += 1) {
      await expectUnavailable(auth.authenticate(bearer(token)));
    }
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
  });

  it('keeps using stale keys while the issuer is down, up to maxStale, then recovers', async () => {
    useFakeDate();
    const { issuer, auth } = await setup({ jwks: { maxAge: '10m', maxStale: '1h', cooldown: '30s' } });
    await expect(auth.authenticate(bearer(await sign()))).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });

    issuer.fail('down');
    vi.setSystemTime(T0 + 11 * MINUTE);
    const failed = nextEvent('jwks_refresh', (event) => !event.ok);
    // Past maxAge: a new token verifies with the keys held while a refresh runs in the background.
    await expect(auth.authenticate(bearer(await sign({ sub: 'second' })))).resolves.toMatchObject({ subject: 'second' });
    expect(await failed).toMatchObject({ ok: false, keys: 1, error: expect.stringContaining('500') });

    // The refresh failed: keys are served stale, and each such request says so.
    await expect(auth.authenticate(bearer(await sign({ sub: 'third' })))).resolves.toMatchObject({ subject: 'third' });
    const stale = eventsOf('jwks_stale');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ type: 'jwks_stale', issuer: issuer.url });
    expect(stale[0]?.ageMs).toBeGreaterThanOrEqual(11 * MINUTE);
    expect(issuerStatus(auth)).toMatchObject({ ready: true, stale: true, keys: 1 });
    expect(lastError(auth)).toContain('500');
    // Still within the cooldown of the failed attempt: no new fetch.
    expect(issuer.requests.jwks).toBe(2);

    // Beyond maxAge + maxStale the keys are no longer used.
    vi.setSystemTime(T0 + 10 * MINUTE + 61 * MINUTE);
    await expectUnavailable(auth.authenticate(bearer(await sign({ sub: 'fourth' }))));
    expect(issuerStatus(auth).ready).toBe(false);

    // Recovery once the issuer is back and the cooldown has passed.
    issuer.fail(null);
    vi.setSystemTime(T0 + 10 * MINUTE + 62 * MINUTE);
    const recovered = nextEvent('jwks_refresh', (event) => event.ok);
    await expect(auth.authenticate(bearer(await sign({ sub: 'fifth' })))).resolves.toMatchObject({ subject: 'fifth' });
    expect(await recovered).toMatchObject({ ok: true, keys: 1 });
    expect(issuerStatus(auth)).toMatchObject({ ready: true, stale: false, lastError: undefined });
  });

  it('does not refetch the JWKS for stale keys within the cooldown of a failed attempt', async () => {
    useFakeDate();
    const { issuer, auth } = await setup({ jwks: { maxAge: '1m', cooldown: '30s' } });
    await auth.ready();
    issuer.fail('down');
    vi.setSystemTime(T0 + 2 * MINUTE);
    const failed = nextEvent('jwks_refresh', (event) => !event.ok);
    await auth.authenticate(bearer(await sign()));
    await failed;
    const after = issuer.requests.jwks;

    for (let attempt = 0; attempt < 10; attempt += 1) {
      await auth.authenticate(bearer(await sign({ sub: `stale-${attempt}` })));
    }
    expect(issuer.requests.jwks).toBe(after);
    expect(eventsOf('jwks_stale')).toHaveLength(10);
  });
});

// ---------------------------------------------------------------------------------------------
// Verified-token cache (item 11)
// ---------------------------------------------------------------------------------------------

describe('verified-token cache', () => {
  it('never keeps a token past its exp, whatever the cache TTL', async () => {
    useFakeDate();
    const { auth } = await setup({ clockTolerance: 0, cache: { ttl: '10m' } });
    const token = await sign({}, { expiresIn: '2s' });
    await auth.authenticate(bearer(token));
    await auth.authenticate(bearer(token));
    expect(tokenCacheEvents().map((event) => event.hit)).toEqual([false, true]);

    vi.setSystemTime(T0 + 3 * SECOND);
    events = [];
    await expectRefused(auth.authenticate(bearer(token)), 401, 'token_expired');
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: false }]);
  });

  it('keeps a token no longer than the cache TTL', async () => {
    useFakeDate();
    const { issuer, auth } = await setup({ cache: { ttl: '1m' }, jwks: { maxAge: '1h' } });
    const token = await sign({}, { expiresIn: '30m' });
    await auth.authenticate(bearer(token));

    vi.setSystemTime(T0 + 61 * SECOND);
    events = [];
    await auth.authenticate(bearer(token));
    expect(tokenCacheEvents().map((event) => event.hit)).toEqual([false]);
    expect(eventsOf('authenticated')).toEqual([expect.objectContaining({ cached: false })]);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('holds at most maxEntries tokens (LRU)', async () => {
    const { auth } = await setup({ cache: { maxEntries: 5 } });
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, index) => sign({ sub: `client-${index}` })));
    for (const token of tokens) await auth.authenticate(bearer(token));
    expect(tokenCacheEvents().every((event) => !event.hit)).toBe(true);

    // The last five are held; asking for them first does not evict anything.
    events = [];
    for (const token of tokens.slice(15)) await auth.authenticate(bearer(token));
    expect(tokenCacheEvents().map((event) => event.hit)).toEqual([true, true, true, true, true]);

    // The first fifteen were evicted.
    events = [];
    for (const token of tokens.slice(0, 15)) await auth.authenticate(bearer(token));
    expect(tokenCacheEvents().filter((event) => event.hit)).toHaveLength(0);
  });

  it('verifies afresh a token differing from a cached one in one character', async () => {
    const { auth } = await setup();
    const token = await sign();
    await auth.authenticate(bearer(token));

    const altered = alterOneCharacter(token);
    expect(altered).not.toBe(token);
    expect(altered).toHaveLength(token.length);
    events = [];
    await expectRefused(auth.authenticate(bearer(altered)), 401, 'invalid_token');
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: false }]);

    events = [];
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ token });
    expect(tokenCacheEvents()).toEqual([{ type: 'cache', cache: 'token', hit: true }]);
  });

  it('does not cache a failure', async () => {
    useFakeDate();
    const { auth } = await setup({ clockTolerance: 0 });
    const notYet = await sign({ nbf: Math.floor(T0 / 1000) + 60 });
    await expectRefused(auth.authenticate(bearer(notYet)), 401, 'token_not_yet_valid');

    vi.setSystemTime(T0 + 61 * SECOND);
    await expect(auth.authenticate(bearer(notYet))).resolves.toMatchObject({ tenant: 'tenant-1' });
  });
});

// ---------------------------------------------------------------------------------------------
// close, status, events
// ---------------------------------------------------------------------------------------------

describe('lifecycle and observability', () => {
  it('close() aborts a fetch in flight, refuses afterwards and leaves no timer behind', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const started = await startIssuer();
    started.fail('hang');
    let fetchCalled: () => void = () => undefined;
    const fetching = new Promise<void>((resolve) => {
      fetchCalled = resolve;
    });
    const fetchSpy: typeof globalThis.fetch = (input, init) => {
      fetchCalled();
      return globalThis.fetch(input, init);
    };
    // A timeout far longer than the test's own: only close() can end this request.
    const auth = startAuth({ fetch: fetchSpy, jwks: { timeout: '10m' } });
    const token = await sign();

    const discovered = nextEvent('discovery');
    const inFlight = auth.authenticate(bearer(token));
    await fetching;
    await auth.close();

    await expectUnavailable(inFlight);
    expect(await discovered).toMatchObject({ ok: false, error: expect.stringContaining('aborted') });
    await expectUnavailable(auth.authenticate(bearer(token)));
    await expectUnavailable(auth.ready());
    expect(started.requests.jwks).toBe(0);
    const timersAfter = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });

  it('close() clears the token cache', async () => {
    const { auth } = await setup();
    const token = await sign();
    await auth.authenticate(bearer(token));
    await auth.close();

    events = [];
    await expectUnavailable(auth.authenticate(bearer(token)));
    expect(eventsOf('authenticated')).toEqual([]);
    expect(eventsOf('rejected')).toEqual([expect.objectContaining({ code: 'issuer_unavailable' })]);
  });

  it('status() reports readiness, keys, last refresh, staleness and the last error', async () => {
    useFakeDate();
    const { issuer, auth } = await setup({ jwks: { maxAge: '10m', cooldown: '30s' } });

    expect(auth.status()).toEqual({
      ready: false,
      issuers: [
        {
          issuer: issuer.url,
          ready: false,
          jwksUri: undefined,
          keys: 0,
          lastRefresh: undefined,
          ageMs: undefined,
          stale: true,
          lastError: undefined,
        },
      ],
      regexEngine: 're2',
    });

    await auth.ready();
    const fresh = issuerStatus(auth);
    expect(auth.status().ready).toBe(true);
    expect(fresh).toMatchObject({ ready: true, jwksUri: issuer.jwksUri, keys: 1, ageMs: 0, stale: false, lastError: undefined });
    expect(fresh.lastRefresh).toBeInstanceOf(Date);
    expect(fresh.lastRefresh?.getTime()).toBe(T0);

    issuer.fail('down');
    vi.setSystemTime(T0 + 11 * MINUTE);
    const failed = nextEvent('jwks_refresh', (event) => !event.ok);
    await auth.authenticate(bearer(await sign()));
    await failed;
    const stale = issuerStatus(auth);
    expect(stale).toMatchObject({ ready: true, keys: 1, ageMs: 11 * MINUTE, stale: true });
    expect(stale.lastRefresh?.getTime()).toBe(T0);
    expect(stale.lastError).toContain('500');
  });

  it('reports discovery, refresh, cache, authenticated and rejected events, never with a token', async () => {
    const { issuer, auth } = await setup();
    const token = await sign();
    await auth.authenticate(bearer(token));
    await auth.authenticate(bearer(token));
    const wrongAudience = await sign({ aud: 'someone-else' });
    await expectRefused(auth.authenticate(bearer(wrongAudience)), 401, 'audience_mismatch');

    expect(eventsOf('discovery')).toEqual([
      { type: 'discovery', issuer: issuer.url, ok: true, durationMs: expect.any(Number) },
    ]);
    const [refresh] = eventsOf('jwks_refresh');
    expect(eventsOf('jwks_refresh')).toHaveLength(1);
    expect(refresh).toEqual({ type: 'jwks_refresh', issuer: issuer.url, ok: true, keys: 1, durationMs: expect.any(Number) });
    expect(refresh?.durationMs).toBeGreaterThanOrEqual(0);
    expect(tokenCacheEvents()).toEqual([
      { type: 'cache', cache: 'token', hit: false },
      { type: 'cache', cache: 'token', hit: true },
      { type: 'cache', cache: 'token', hit: false },
    ]);
    expect(eventsOf('authenticated')).toEqual([
      expect.objectContaining({ type: 'authenticated', issuer: issuer.url, tenants: ['tenant-1'], cached: false }),
      expect.objectContaining({ type: 'authenticated', issuer: issuer.url, tenants: ['tenant-1'], cached: true }),
    ]);
    expect(eventsOf('rejected')).toEqual([
      expect.objectContaining({ type: 'rejected', code: 'audience_mismatch', durationMs: expect.any(Number) }),
    ]);
    const serialized = JSON.stringify(events);
    for (const sent of [token, wrongAudience]) {
      expect(serialized).not.toContain(sent);
      expect(serialized).not.toContain(sent.slice(sent.lastIndexOf('.') + 1));
    }
  });

  it('never puts a token into an event, even for malformed or refused ones', async () => {
    const { issuer, auth } = await setup();
    const token = await sign();
    const candidates = [
      alterOneCharacter(token),
      `${token}.extra`,
      await sign({}, { header: { kid: 'no-such-kid' } }),
      await sign({ iss: 'https://elsewhere.example' }),
      await sign({ exp: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    for (const candidate of candidates) await refusal(auth.authenticate(bearer(candidate)));
    expect(issuer.requests.jwks).toBeGreaterThan(0);
    expect(eventsOf('rejected')).toHaveLength(candidates.length);
    const serialized = JSON.stringify(events);
    for (const candidate of candidates) expect(serialized).not.toContain(candidate);
  });
});
