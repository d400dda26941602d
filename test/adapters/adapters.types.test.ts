// Type tests: `npm run typecheck` (tsc --noEmit, which includes test/) fails when a type
// assertion here does not hold; at run time vitest checks the values the assertions are about.
import express, { type Request } from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import Koa from 'koa';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { middleware as expressMiddleware, type ExpressMiddlewareOptions } from '../../src/adapters/express.js';
import tenantgateDefault, { tenantgate, type TenantgateFastifyOptions } from '../../src/adapters/fastify.js';
import { middleware as koaMiddleware, type KoaContextLike, type KoaMiddlewareOptions } from '../../src/adapters/koa.js';
import { createAuthenticator, type AuthResult } from '../../src/index.js';

// Never contacted: nothing here sends a request.
const auth = createAuthenticator({
  issuerUrl: 'http://127.0.0.1:9/issuer',
  audience: 'types',
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: {},
});

afterAll(async () => {
  await auth.close();
});

describe('declaration merging', () => {
  it('types req.auth in Express handlers as AuthResult | undefined, without casts', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthResult | undefined>();
    const app = express();
    app.get('/metrics', expressMiddleware(auth, { scope: 'metrics:read' }), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthResult | undefined>();
      expectTypeOf(req.auth?.accessPolicy.name).toEqualTypeOf<string | undefined>();
      res.json({ tenant: req.auth?.tenant });
    });
    const router = express.Router();
    router.use(expressMiddleware(auth, { scope: (req) => (req.method === 'GET' ? 'metrics:read' : 'metrics:write') }));
    app.use(router);
    // Three parameters: Express treats a four-parameter function as an error handler.
    expect(expressMiddleware(auth)).toHaveLength(3);
  });

  it('types ctx.state.auth in Koa middleware as AuthResult | undefined', () => {
    // @types/koa's DefaultState extends `any`; the augmentation still gives `auth` its type.
    expectTypeOf<Koa.DefaultState['auth']>().toEqualTypeOf<AuthResult | undefined>();
    expectTypeOf<KoaContextLike['state']['auth']>().toEqualTypeOf<AuthResult | undefined>();
    const app = new Koa();
    app.use(koaMiddleware(auth, { scope: (ctx) => (ctx.method === 'GET' ? 'metrics:read' : 'metrics:write') }));
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthResult | undefined>();
      ctx.body = { tenant: ctx.state.auth?.tenant };
    });
    expect(app.middleware).toHaveLength(2);
  });

  it('types request.auth in Fastify handlers as AuthResult', async () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthResult>();
    const app = Fastify();
    await app.register(async (scope) => {
      await scope.register(tenantgate, { authenticator: auth, scope: (request) => (request.method === 'GET' ? 'metrics:read' : 'metrics:write') });
      scope.get('/metrics', async (request) => {
        expectTypeOf(request.auth).toEqualTypeOf<AuthResult>();
        return { tenant: request.auth.tenant };
      });
    });
    await app.ready();
    expect(app.hasRoute({ method: 'GET', url: '/metrics' })).toBe(true);
    // `import tenantgate from 'tenantgate/fastify'` is the same plugin, with the same types.
    expect(tenantgateDefault).toBe(tenantgate);
    expectTypeOf(tenantgateDefault).toEqualTypeOf(tenantgate);
    await app.close();
  });
});

describe('adapter options', () => {
  it('take a scope that is a string or a function of the request returning a string', () => {
    expectTypeOf<{ scope: 'metrics:read' }>().toExtend<ExpressMiddlewareOptions>();
    expectTypeOf<{ scope: (request: KoaContextLike) => string | undefined }>().toExtend<KoaMiddlewareOptions>();
    expectTypeOf<{ scope: number }>().not.toExtend<ExpressMiddlewareOptions>();
    expectTypeOf<{ scope: () => number }>().not.toExtend<KoaMiddlewareOptions>();
    expectTypeOf<{ authenticator: typeof auth; scope: number }>().not.toExtend<TenantgateFastifyOptions>();
    expectTypeOf<{ scope: string }>().not.toExtend<TenantgateFastifyOptions>();

    const rejected = [
      // @ts-expect-error a scope is a string, not a number
      () => expressMiddleware(auth, { scope: 42 }),
      // @ts-expect-error a scope function returns a string
      () => expressMiddleware(auth, { scope: () => ['metrics:read'] }),
      // @ts-expect-error a scope is a string, not a list
      () => koaMiddleware(auth, { scope: ['metrics:read'] }),
      // @ts-expect-error `passErrors` is a boolean
      () => expressMiddleware(auth, { passErrors: 'yes' }),
    ];
    // Built only for the compiler; never called.
    expect(rejected).toHaveLength(4);
  });

  it('reject a non-string scope when registering the Fastify plugin', async () => {
    const app = Fastify();
    // @ts-expect-error a scope is a string or a function, not a number
    const registering = app.register(tenantgate, { authenticator: auth, scope: 42 });
    expect(registering).toBe(app);
    await app.close();
  });
});
