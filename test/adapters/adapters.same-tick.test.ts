// A cached token is answered without a promise: each adapter goes on to the route in the
// same tick. A request that needs a verification goes on later, once it is done.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { tenantgate } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware } from '../../src/adapters/koa.js';
import { AuthError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

const POLICIES = { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } };

/** What the route saw: whether a microtask queued before the adapter ran had run yet. */
interface Seen {
  sameTick: boolean;
  tenant: string | undefined;
}

/** Marks a request before the adapter runs; the route reads the mark. */
const MARK = Symbol('queued before the adapter');
type Marked = IncomingMessage & { [MARK]?: { ran: boolean } };

function mark(request: Marked): void {
  const state = { ran: false };
  request[MARK] = state;
  queueMicrotask(() => {
    state.ran = true;
  });
}

function seen(request: Marked, tenant: string | undefined): Seen {
  return { sameTick: request[MARK]?.ran === false, tenant };
}

function gemAuthenticator(): Authenticator {
  return createAuthenticator({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: POLICIES,
  });
}

let issuer: TestIssuer;
let auth: Authenticator;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  token = await issuer.sign({ sub: 'pref-1234567890-abc' });
});

afterAll(async () => {
  await issuer?.close();
});

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const apps = {
  express: async () => {
    const app = express();
    app.get(
      '/metrics',
      (req, _res, next) => {
        mark(req);
        next();
      },
      expressMiddleware(auth, { scope: 'metrics:read' }),
      (req, res) => {
        res.json(seen(req, req.auth?.tenant));
      },
    );
    return listen(app.listen(0, '127.0.0.1'));
  },
  koa: async () => {
    const app = new Koa();
    app.use((context, next) => {
      mark(context.req);
      return next();
    });
    app.use(koaMiddleware(auth, { scope: 'metrics:read' }));
    app.use((context) => {
      context.body = seen(context.req, context.state.auth?.tenant);
    });
    return listen(createServer(app.callback()).listen(0, '127.0.0.1'));
  },
  fastify: async () => {
    const app = Fastify();
    app.addHook('onRequest', (request, _reply, done) => {
      mark(request.raw);
      done();
    });
    await app.register(async (scope) => {
      await scope.register(tenantgate, { authenticator: auth, scope: 'metrics:read' });
      scope.get('/metrics', (request, reply) => {
        void reply.send(seen(request.raw, request.auth.tenant));
      });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return listen(app.server);
  },
};

describe.each(Object.keys(apps) as (keyof typeof apps)[])('%s adapter', (framework) => {
  let app: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    auth = gemAuthenticator();
    app = await apps[framework]();
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
  });

  it('goes on after the verification on first sight, and in the same tick once the token is cached', async () => {
    const ask = async () => {
      const response = await fetch(app.url, { headers: { authorization: `Bearer tenant-1:${token}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as Seen;
    };
    expect(await ask()).toEqual({ sameTick: false, tenant: 'tenant-1' });
    expect(await ask()).toEqual({ sameTick: true, tenant: 'tenant-1' });
    expect(await ask()).toEqual({ sameTick: true, tenant: 'tenant-1' });
  });

  it('still refuses a cached token for a tenant its policy does not cover', async () => {
    const response = await fetch(app.url, { headers: { authorization: `Bearer tenant-2:${token}` } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });
});

describe('an Authenticator not made by createAuthenticator', () => {
  let inner: Authenticator;
  let app: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    inner = gemAuthenticator();
    // A wrapper, as a user might write to add logging: only the public methods.
    auth = {
      tenantHeader: inner.tenantHeader,
      ready: () => inner.ready(),
      authenticate: (input) => inner.authenticate(input),
      authorize: (result, options) => inner.authorize(result, options),
      protectedResourceMetadata: () => inner.protectedResourceMetadata(),
      status: () => inner.status(),
      close: () => inner.close(),
    };
    app = await apps.express();
  });

  afterAll(async () => {
    await app?.close();
    await inner?.close();
  });

  it('is asked through authenticate(): it works, and goes on after its promise', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await fetch(app.url, { headers: { authorization: `Bearer tenant-1:${token}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sameTick: false, tenant: 'tenant-1' });
    }
    const missing = await fetch(app.url);
    expect(missing.status).toBe(401);
  });
});

describe('authenticate', () => {
  beforeAll(() => {
    auth = gemAuthenticator();
  });

  afterAll(async () => {
    await auth?.close();
  });

  it('always answers with a promise, for a cached token too, and rejects rather than throws', async () => {
    const credentials = { authorization: `Bearer tenant-1:${token}` };
    await auth.authenticate(credentials);
    const cached = auth.authenticate(credentials);
    expect(cached).toBeInstanceOf(Promise);
    expect((await cached).tenant).toBe('tenant-1');

    const missing = auth.authenticate({});
    expect(missing).toBeInstanceOf(Promise);
    await expect(missing).rejects.toBeInstanceOf(AuthError);
    const forbidden = auth.authenticate({ authorization: `Bearer tenant-2:${token}` });
    expect(forbidden).toBeInstanceOf(Promise);
    await expect(forbidden).rejects.toMatchObject({ code: 'tenant_forbidden' });
  });
});
