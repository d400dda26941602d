// Type tests for tenantgate/fetch, tenantgate/hono and tenantgate/nest: `npm run typecheck`
// (tsc --noEmit, which includes test/) fails when an assertion here does not hold; at run time
// vitest checks the values the assertions are about.
import type { DynamicModule } from '@nestjs/common';
import { Hono } from 'hono';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { authenticateRequest, errorResponse, metadataResponse, type FetchOptions } from '../../src/adapters/fetch.js';
import { middleware, type HonoMiddlewareOptions, type TenantgateEnv, type TenantgateVariables } from '../../src/adapters/hono.js';
import {
  Auth,
  RequireScope,
  TenantgateGuard,
  TenantgateModule,
  TenantgateRefusal,
  type NestRequest,
  type TenantgateModuleOptions,
} from '../../src/adapters/nest.js';
import { AuthError, createAuthenticator, type AuthResult } from '../../src/index.js';

// Never contacted: nothing here sends a request to it.
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

describe('tenantgate/fetch types', () => {
  it('resolves an AuthResult and answers refusals with a Response', async () => {
    expectTypeOf(authenticateRequest).returns.toEqualTypeOf<Promise<AuthResult>>();
    expectTypeOf(errorResponse).returns.toEqualTypeOf<Response>();
    expectTypeOf(metadataResponse).returns.toEqualTypeOf<Response | undefined>();
    expectTypeOf<{ scope: (request: Request) => string }>().toExtend<FetchOptions>();
    expectTypeOf<{ scope: number }>().not.toExtend<FetchOptions>();
    expectTypeOf<{ forwardTenantHeader: string }>().not.toExtend<Required<FetchOptions>>();
    const response = errorResponse(new AuthError('credentials_missing', 'no credentials were sent'));
    expect(response.status).toBe(401);
    // @ts-expect-error a scope is a string or a function, not a list
    const listed = authenticateRequest(auth, new Request('http://127.0.0.1/'), { scope: ['metrics:read'] });
    await expect(listed).rejects.toThrow('`scope` must be');
  });
});

describe('tenantgate/hono types', () => {
  it("types c.get('auth') as AuthResult through TenantgateEnv, and through the middleware on a plain app", () => {
    expectTypeOf<TenantgateVariables['auth']>().toEqualTypeOf<AuthResult>();
    const typed = new Hono<TenantgateEnv>();
    typed.use('/api/*', middleware(auth, { scope: (c) => (c.req.method === 'GET' ? 'metrics:read' : 'metrics:write') }));
    typed.get('/api/metrics', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult>();
      return c.json({ tenant: c.get('auth').tenant ?? null });
    });
    const plain = new Hono();
    plain.get('/metrics', middleware(auth, { scope: 'metrics:read' }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult>();
      return c.text('ok');
    });
    expect(typed.routes.length + plain.routes.length).toBe(4);
  });

  it('takes a scope that is a string or a function of the context', () => {
    expectTypeOf<{ scope: 'metrics:read' }>().toExtend<HonoMiddlewareOptions>();
    expectTypeOf<{ scope: () => number }>().not.toExtend<HonoMiddlewareOptions>();
    const rejected = [
      // @ts-expect-error a scope is a string, not a number
      () => middleware(auth, { scope: 42 }),
      // @ts-expect-error the Hono middleware has no forwardTenantHeader
      () => middleware(auth, { forwardTenantHeader: 'x-scope-orgid' }),
    ];
    expect(rejected).toHaveLength(2);
  });
});

describe('tenantgate/nest types', () => {
  it('makes a DynamicModule from checked options, and decorators of the right kinds', () => {
    expectTypeOf(TenantgateModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf(TenantgateModule.forRootAsync).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf<{ authenticator: typeof auth; scope: (request: NestRequest) => string }>().toExtend<TenantgateModuleOptions>();
    expectTypeOf<{ scope: string }>().not.toExtend<TenantgateModuleOptions>();
    expectTypeOf(Auth).returns.toEqualTypeOf<ParameterDecorator>();
    expectTypeOf(new TenantgateRefusal(new AuthError('credentials_missing', 'no credentials were sent')).authError).toEqualTypeOf<AuthError>();
    expect(typeof RequireScope('metrics:read')).toBe('function');
    expect(typeof TenantgateGuard.prototype.canActivate).toBe('function');
    const rejected = [
      // @ts-expect-error the authenticator is required
      () => TenantgateModule.forRoot({ scope: 'metrics:read' }),
      // @ts-expect-error a scope is a string or a function
      () => RequireScope(42),
    ];
    expect(rejected).toHaveLength(2);
  });
});
