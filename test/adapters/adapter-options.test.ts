// Rule 24: adapter misuse is a ConfigError at setup (Express and Koa when `middleware()` is
// called, Fastify when the plugin registers), never a silently skipped check or a 500 on
// every request. And whatever else fails on the request path goes to the framework's own
// error handling, never an unhandled rejection. Real apps on 127.0.0.1, no mocks.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Fastify4 from 'fastify4';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware as expressMiddleware, type ExpressMiddlewareOptions } from '../../src/adapters/express.js';
import { tenantgate, type TenantgateFastifyOptions } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware, type KoaMiddlewareOptions } from '../../src/adapters/koa.js';
import { ConfigError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';

let issuer: TestIssuer;
let auth: Authenticator;
let signed = 0;

/** A new token of the read-only policy: its first request is verified, later ones cached. */
const readOnlyToken = (): Promise<string> => issuer.sign({ sub: `pref-reader-${(signed += 1)}` });

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuthenticator(optionsFor(issuer, READER));
});

afterAll(async () => {
  await auth?.close();
  await issuer?.close();
});

/** The ConfigError `make` throws, which must list exactly `problems`. */
function configErrorOf(make: () => unknown, problems: string[]): void {
  let caught: unknown;
  try {
    make();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).problems).toStrictEqual(problems);
}

const SCOPES_TYPO = '`scopes` is not an option (did you mean `scope`?).';
const SCOPE_LIST = '`scope` must be a scope such as "metrics:read", or a function of the request returning one; got a list.';
const NOT_AUTHENTICATOR = 'must be an authenticator made by createAuthenticator()';

type AnyOptions = Record<string, unknown>;

describe.each([
  { name: 'Express 5', make: (a: unknown, o?: AnyOptions) => expressMiddleware(a as Authenticator, o as ExpressMiddlewareOptions) },
  { name: 'Koa 3', make: (a: unknown, o?: AnyOptions) => koaMiddleware(a as Authenticator, o as KoaMiddlewareOptions) },
])('$name middleware() checks its options at once', ({ name, make }) => {
  it('refuses `scopes` for `scope`, which used to let a read-only token write', () => {
    configErrorOf(() => make(auth, { scopes: 'metrics:write' }), [SCOPES_TYPO]);
  });

  it('refuses a scope that is neither a string nor a function', () => {
    configErrorOf(() => make(auth, { scope: ['metrics:read'] }), [SCOPE_LIST]);
    configErrorOf(() => make(auth, { scope: '' }), [
      '`scope` must be a scope such as "metrics:read", or a function of the request returning one; got "".',
    ]);
  });

  it('refuses a missing or wrong authenticator, which used to be a 500 on every request', () => {
    configErrorOf(() => make(undefined), [
      'The authenticator is required: pass an authenticator made by createAuthenticator() as the first argument of middleware().',
    ]);
    for (const wrong of [{}, { authenticate: () => undefined }, 'auth', null]) {
      let caught: unknown;
      try {
        make(wrong);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).problems[0]).toContain(`The first argument of middleware() ${NOT_AUTHENTICATOR}; got `);
    }
  });

  it('lists every problem at once, with a hint for each near miss', () => {
    const expected = [
      'The authenticator is required: pass an authenticator made by createAuthenticator() as the first argument of middleware().',
      '`forwardTenantHeader` must be an HTTP header name such as "x-scope-orgid"; got "x scope".',
      SCOPES_TYPO,
      '`forwardTenant` is not an option (did you mean `forwardTenantHeader`?).',
    ];
    if (name.startsWith('Express')) expected.push('`passError` is not an option (did you mean `passErrors`?).');
    const options: AnyOptions = { scopes: 'a', forwardTenant: 'x', forwardTenantHeader: 'x scope' };
    if (name.startsWith('Express')) options.passError = true;
    configErrorOf(() => make(undefined, options), expected);
  });

  it('refuses options that are not an object, and forwarding into the Authorization header', () => {
    configErrorOf(() => make(auth, null as unknown as AnyOptions), [
      'The options must be an object such as { scope: "metrics:read" }; got null.',
    ]);
    configErrorOf(() => make(auth, { forwardTenantHeader: 'Authorization' }), [
      '`forwardTenantHeader` cannot be "authorization": it would replace the credentials.',
    ]);
  });

  it('takes every documented option', () => {
    const options: AnyOptions = { scope: (request: unknown) => (request ? 'metrics:read' : undefined), forwardTenantHeader: 'x-scope-orgid' };
    if (name.startsWith('Express')) options.passErrors = true;
    expect(typeof make(auth, options)).toBe('function');
    expect(typeof make(auth)).toBe('function');
  });

  if (name.startsWith('Koa')) {
    it('refuses `passErrors`, which only the Express middleware has', () => {
      configErrorOf(() => make(auth, { passErrors: true }), ['`passErrors` is not an option.']);
    });
  }
});

describe.each([
  { name: 'Fastify 5', factory: Fastify },
  { name: 'Fastify 4', factory: Fastify4 as unknown as typeof Fastify },
])('$name plugin checks its options when it registers', ({ factory }) => {
  /** What `ready()` rejects with once the plugin is registered with `options`. */
  async function registerError(options: AnyOptions): Promise<ConfigError> {
    const app = factory();
    try {
      app.register(async (child) => {
        await child.register(tenantgate, options as unknown as TenantgateFastifyOptions);
      });
      const caught: unknown = await app.ready().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(caught).toBeInstanceOf(ConfigError);
      return caught as ConfigError;
    } finally {
      await app.close().catch(() => undefined);
    }
  }

  it('rejects `{ authenticator, scopes }`', async () => {
    expect((await registerError({ authenticator: auth, scopes: 'metrics:write' })).problems).toStrictEqual([SCOPES_TYPO]);
  });

  it('rejects `{ auth }` for `{ authenticator }`, and a wrong authenticator', async () => {
    expect((await registerError({ auth, scope: 'metrics:read' })).problems).toStrictEqual([
      '`authenticator` is required: it must be an authenticator made by createAuthenticator().',
      '`auth` is not an option (did you mean `authenticator`?).',
    ]);
    expect((await registerError({ authenticator: { authorize: () => undefined } })).problems).toStrictEqual([
      '`authenticator` must be an authenticator made by createAuthenticator(); got a value of type object.',
    ]);
  });

  it('rejects a scope list', async () => {
    expect((await registerError({ authenticator: auth, scope: ['metrics:read'] })).problems).toStrictEqual([SCOPE_LIST]);
  });

  it("takes Fastify's own register options", async () => {
    const app = factory();
    try {
      await app.register(tenantgate, { authenticator: auth, scope: 'metrics:read', prefix: '/api', logLevel: 'warn' } as TenantgateFastifyOptions);
      await expect(app.ready()).resolves.toBeDefined();
    } finally {
      await app.close();
    }
  });
});

// ------------------------------------------------------------- the request path

interface RunningApp {
  url: string;
  close(): Promise<void>;
}

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

/** The scopes of each route: a write route, and two scope functions that misbehave. */
const ROUTES = {
  '/push': 'metrics:write',
  '/scope-list': () => ['metrics:read'] as unknown as string,
  '/scope-throws': () => {
    throw new Error('the scope function failed');
  },
} as const;

type Route = keyof typeof ROUTES;

const servers: Array<{ name: string; start(): Promise<RunningApp> }> = [
  {
    name: 'Express 5',
    start: async () => {
      const app = express();
      for (const [path, scope] of Object.entries(ROUTES)) {
        app.all(path, expressMiddleware(auth, { scope }), (_req, res) => {
          res.status(204).end();
        });
      }
      return listen(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Koa 3',
    start: async () => {
      const app = new Koa();
      app.silent = true;
      const protect = Object.fromEntries(Object.entries(ROUTES).map(([path, scope]) => [path, koaMiddleware(auth, { scope })]));
      app.use(async (ctx, next) => {
        const step = protect[ctx.path];
        if (step === undefined) return next();
        await step(ctx, async () => {
          ctx.status = 204;
        });
      });
      return listen(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'Fastify 5',
    start: async () => {
      const app = Fastify();
      for (const [path, scope] of Object.entries(ROUTES)) {
        app.register(async (child) => {
          await child.register(tenantgate, { authenticator: auth, scope });
          child.all(path, async (_request, reply) => reply.code(204).send());
        });
      }
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    },
  },
];

describe.each(servers)('$name request path', (server) => {
  let app: RunningApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    app = await server.start();
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await app?.close();
  });

  /** The status of a request with `token`, sent twice: verified first, then from the cache. */
  async function statuses(route: Route, method = 'GET'): Promise<number[]> {
    unhandled.length = 0;
    const token = await readOnlyToken();
    const answers: number[] = [];
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await fetch(`${app.url}${route}`, { method, headers: { authorization: `Bearer tenant-1:${token}` } });
      await response.arrayBuffer();
      answers.push(response.status);
    }
    // One more turn of the event loop, for a rejection to be reported.
    await new Promise((resolve) => setImmediate(resolve));
    return answers;
  }

  it('enforces a correctly spelt scope: a read-only token cannot write', async () => {
    expect(await statuses('/push', 'POST')).toStrictEqual([403, 403]);
  });

  it("hands a scope function's non-string scope to the framework as a server error", async () => {
    expect(await statuses('/scope-list')).toStrictEqual([500, 500]);
    expect(unhandled).toStrictEqual([]);
  });

  it('hands a throwing scope function to the framework as a server error', async () => {
    expect(await statuses('/scope-throws')).toStrictEqual([500, 500]);
    expect(unhandled).toStrictEqual([]);
  });
});
