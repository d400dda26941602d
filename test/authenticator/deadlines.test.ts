import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuthenticator, type AuthenticatorOptions, type AuthEvent } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor } from '../fixtures.js';

// The Node 20 defect this guards against shows only after a garbage collection.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A server on 127.0.0.1 that handles requests its own (hostile) way. */
async function hostileServer(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<{
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Never answers. */
const hang = () => undefined;

/** Sends a 200 head, then one byte every 50 ms, forever. */
function drip(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write('{"keys":[');
  const timer = setInterval(() => response.write(' '), 50);
  request.socket.once('close', () => clearInterval(timer));
}

/** Settles `pending`, collecting garbage between event-loop turns as a busy process would. */
async function settleUnderGc<T>(pending: Promise<T>): Promise<T> {
  let settled = false;
  const done = pending.finally(() => {
    settled = true;
  });
  while (!settled) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return done;
}

let issuer: TestIssuer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(async () => {
  issuer.override('discovery', null);
  issuer.fail(null);
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await issuer.close();
});

const options = (extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions => optionsFor(issuer, extra);

async function pointJwksAt(handle: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = await hostileServer(handle);
  cleanups.push(server.close);
  issuer.override('discovery', { body: { ...issuer.discoveryDocument, jwks_uri: `${server.url}/jwks` } });
  return server;
}

describe('every wait is bounded by a timer the library owns (rule 22)', () => {
  it.each([
    ['hangs', hang],
    ['drips one byte every 50 ms', drip],
  ])('answers 503 when the JWKS endpoint %s, also after garbage collections', async (_, handle) => {
    const server = await pointJwksAt(handle);
    const auth = createAuthenticator(options({ jwks: { timeout: '500ms' } }));
    cleanups.push(() => auth.close());
    const token = await issuer.sign({ sub: 'team1' });
    const attempts = Array.from({ length: 20 }, () =>
      auth.authenticate({ authorization: `Bearer t1:${token}` }).catch((error: unknown) => error),
    );
    const outcomes = await settleUnderGc(Promise.all(attempts));
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(AuthError);
      expect((outcome as AuthError).code).toBe('issuer_unavailable');
    }
    // Concurrent callers joined one fetch (none reached the server when the deadline beat the connection).
    expect(server.requests()).toBeLessThanOrEqual(1);
    expect(auth.status().issuers[0]?.lastError).toMatch(/timed out/);
  });

  it('answers 503 when discovery hangs, also after garbage collections', async () => {
    issuer.fail('hang', { endpoint: 'discovery' });
    const auth = createAuthenticator(options({ jwks: { timeout: '200ms' } }));
    cleanups.push(() => auth.close());
    const error = await settleUnderGc(auth.ready().catch((thrown: unknown) => thrown));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('issuer_unavailable');
    expect(auth.status().issuers[0]?.lastError).toMatch(/openid-configuration.*timed out/);
  });

  it('reports a hanging refresh as stale keys during a warm outage', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthenticator(options({ jwks: { timeout: '200ms', maxAge: '1s', cooldown: 0 }, onEvent: (event) => events.push(event) }));
    cleanups.push(() => auth.close());
    await auth.ready();
    issuer.fail('hang');
    const started = Date.now();
    // Once the keys are past maxAge, a request starts a refresh, which must time out.
    while (!events.some((event) => event.type === 'jwks_stale')) {
      if (Date.now() - started > 1000) {
        await auth.authenticate({ authorization: `Bearer t1:${await issuer.sign({ sub: 'team1' })}` });
      }
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(auth.status().issuers[0]?.lastError).toMatch(/timed out/);
    expect(auth.status().issuers[0]?.ready).toBe(true);
  });

  it('settles a call waiting on a hanging policy store at close()', async () => {
    let called: () => void = () => undefined;
    const storeCalled = new Promise<void>((resolve) => {
      called = resolve;
    });
    const auth = createAuthenticator(
      options({
        jwks: { timeout: '1h' },
        accessPolicies: () => {
          called();
          return new Promise(() => undefined);
        },
      }),
    );
    const pending = auth.authenticate({ authorization: `Bearer t1:${await issuer.sign({ sub: 'team1' })}` }).catch((error: unknown) => error);
    await storeCalled;
    await auth.close();
    const error = await pending;
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('policy_store_unavailable');
  });

  it('settles a call waiting on a hanging IdP at close()', async () => {
    const server = await pointJwksAt(hang);
    const auth = createAuthenticator(options({ jwks: { timeout: '1h' } }));
    const pending = auth.authenticate({ authorization: `Bearer t1:${await issuer.sign({ sub: 'team1' })}` }).catch((error: unknown) => error);
    while (server.requests() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await auth.close();
    const error = await pending;
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('issuer_unavailable');
  });

  it('leaves no timer or socket behind: a process exits on its own after close()', async () => {
    // A child process with its own issuer, a hanging store and a hanging JWKS refresh,
    // each bounded by an hour: only close() can let it exit.
    const dist = new URL('../../dist/', import.meta.url).href;
    const script = `
      import { createAuthenticator } from '${dist}index.js';
      import { createTestIssuer } from '${dist}testing.js';
      const issuer = await createTestIssuer();
      let storeCalled;
      const called = new Promise((resolve) => { storeCalled = resolve; });
      const auth = createAuthenticator({
        issuerUrl: issuer.url, audience: issuer.audience, accessPolicyClaim: 'sub', accessPolicyRegex: '(.*)',
        accessPolicies: () => { storeCalled(); return new Promise(() => {}); },
        jwks: { timeout: '1h', maxAge: '1s', cooldown: 0 },
      });
      const pending = auth.authenticate({ authorization: 'Bearer t1:' + await issuer.sign({ sub: 'team1' }) }).catch((e) => e.code);
      await called;
      const outcome = await Promise.race([pending, new Promise((resolve) => setImmediate(() => resolve('pending')))]);
      await auth.close();
      await issuer.close();
      console.log(outcome, await pending);
    `;
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }, (error, out) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out });
      });
    });
    expect(stdout.trim()).toBe('pending policy_store_unavailable');
    expect(code).toBe(0);
  });
});
