// tenantgate/nest with real Nest applications on the Express and the Fastify platform.
import { Inject, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RequireScope,
  TENANTGATE_AUTHENTICATOR,
  TenantgateGuard,
  TenantgateModule,
  type TenantgateModuleOptions,
} from '../../src/adapters/nest.js';
import { AuthError, ConfigError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';
import { readOrWrite, runMatrix, type Authenticators, type RunningApp, type ScopeForm } from './fetch-hono-nest.matrix.js';
import { everyRefusal, expressRefusals, refusingAuthenticator, wireRefusalOf } from './fetch-hono-nest.refusals.js';
import { appModule, guardedController, healthController, startNest, type Platform, type RunningNest } from './nest-apps.js';

const PLATFORMS: Platform[] = ['express', 'fastify'];

/** The table's routes: one Nest application per authenticator, since the module is global. */
function startNestApps(platform: Platform) {
  return async (auths: Authenticators, scopeForm: ScopeForm): Promise<RunningApp> => {
    const main =
      scopeForm === 'function'
        ? guardedController([{ method: 'get', path: 'metrics' }, { method: 'post', path: 'push' }], (request) => readOrWrite(request.method))
        : guardedController([
            { method: 'get', path: 'metrics', scope: 'metrics:read' },
            { method: 'post', path: 'push', scope: 'metrics:write' },
          ]);
    const apps: Record<string, RunningNest> = {
      main: await startNest(platform, appModule([TenantgateModule.forRoot({ authenticator: auths.main })], [main, healthController()])),
      tenantHeader: await startNest(
        platform,
        appModule([TenantgateModule.forRoot({ authenticator: auths.tenantHeader, scope: 'metrics:read' })], [
          guardedController([{ method: 'get', path: 'tenant-header/metrics' }]),
        ]),
      ),
      down: await startNest(
        platform,
        appModule([TenantgateModule.forRoot({ authenticator: auths.down })], [guardedController([{ method: 'get', path: 'down/metrics', scope: 'metrics:read' }])]),
      ),
    };
    const appFor = (path: string): RunningNest =>
      (path.startsWith('/tenant-header/') ? apps.tenantHeader : path.startsWith('/down/') ? apps.down : apps.main) as RunningNest;
    return {
      at: (path) => `${appFor(path).url}${path}`,
      close: async () => {
        await Promise.all(Object.values(apps).map((app) => app.close()));
      },
    };
  };
}

describe('tenantgate/nest behaviour table', () => {
  runMatrix([
    { name: 'Nest on Express, @RequireScope on each route', scopeForm: 'string', start: startNestApps('express') },
    { name: 'Nest on Express, a scope function on the controller', scopeForm: 'function', start: startNestApps('express') },
    { name: 'Nest on Fastify, @RequireScope on each route', scopeForm: 'string', start: startNestApps('fastify') },
    { name: 'Nest on Fastify, a scope function on the controller', scopeForm: 'function', start: startNestApps('fastify') },
  ]);
});

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await issuer?.close();
});

describe.each(PLATFORMS)('Nest on %s', (platform) => {
  it('sends the bytes the Express middleware sends for every refusal, not Nest exception bodies', async () => {
    const fromExpress = await expressRefusals();
    let current = everyRefusal()[0] as AuthError;
    const module = appModule([TenantgateModule.forRoot({ authenticator: refusingAuthenticator(() => current) })], [
      guardedController([{ method: 'get', path: 'data' }]),
    ]);
    const app = await startNest(platform, module);
    try {
      for (const refusal of everyRefusal()) {
        current = refusal;
        expect(await wireRefusalOf(await fetch(`${app.url}/data`)), refusal.code).toEqual(fromExpress.get(refusal.code));
      }
    } finally {
      await app.close();
    }
  });

  it('takes options from forRootAsync (useFactory + inject), and a method scope wins over the class scope', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    class Settings {
      readonly authenticator = auth;
    }
    Injectable()(Settings);
    class SettingsModule {}
    Module({ providers: [Settings], exports: [Settings] })(SettingsModule);
    const controller = guardedController(
      [
        { method: 'get', path: 'read' },
        { method: 'post', path: 'write', scope: 'metrics:write' },
      ],
      'metrics:read',
    );
    const module = appModule(
      [
        TenantgateModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: async (settings: Settings) => ({ authenticator: settings.authenticator }),
        }),
      ],
      [controller],
    );
    const app = await startNest(platform, module);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const headers = { authorization: `Bearer tenant-1:${token}` };
    const read = await fetch(`${app.url}/read`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ tenant: 'tenant-1', policy: 'reader' });
    const write = await fetch(`${app.url}/write`, { method: 'POST', headers });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(app.app.get(TENANTGATE_AUTHENTICATOR)).toBe(auth);
    await app.close();
    await auth.close();
  });

  it('fails the start for options from forRootAsync that are wrong', async () => {
    const module = appModule(
      [TenantgateModule.forRootAsync({ useFactory: () => ({ authenticator: undefined, scopes: 'metrics:read' }) as unknown as TenantgateModuleOptions })],
      [guardedController([{ method: 'get', path: 'data' }])],
    );
    const failed = await startNest(platform, module).then(
      (app) => app.close().then(() => undefined),
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ConfigError);
    expect((failed as ConfigError).problems).toStrictEqual([
      '`authenticator` is required: it must be an authenticator made by createAuthenticator().',
      '`scopes` is not an option (did you mean `scope`?).',
    ]);
  });

  it('guards every route as an APP_GUARD provider', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth, scope: 'metrics:read' })], [
      guardedController([{ method: 'get', path: 'data' }], undefined, false),
    ]);
    Module({ providers: [{ provide: APP_GUARD, useClass: TenantgateGuard }] })(module);
    const app = await startNest(platform, module);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const accepted = await fetch(`${app.url}/data`, { headers: { authorization: `Bearer tenant-1:${token}` } });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ tenant: 'tenant-1', policy: 'reader' });
    const refused = await fetch(`${app.url}/data`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'unauthorized', error_description: 'no credentials were sent' });
    await app.close();
    await auth.close();
  });

  it('replaces the forwarded tenant header with the verified tenant', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth, forwardTenantHeader: 'X-Scope-OrgID' })], [
      guardedController([{ method: 'get', path: 'data', withoutAuthParameter: true }]),
    ]);
    const app = await startNest(platform, module);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const reply = await fetch(`${app.url}/data`, { headers: { authorization: `Bearer tenant-1:${token}`, 'x-scope-orgid': 'evil' } });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ tenant: 'tenant-1', policy: 'reader', subject: 'pref-reader-1', forwarded: 'tenant-1' });
    await app.close();
    await auth.close();
  });

  it('answers 500 for @Auth() on a route the guard does not protect, and for a throwing scope function', async () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth })], [
      guardedController([{ method: 'get', path: 'open' }], undefined, false),
      guardedController([
        {
          method: 'get',
          path: 'fails',
          scope: () => {
            throw new Error('the scope function failed');
          },
        },
      ]),
    ]);
    const app = await startNest(platform, module);
    const token = await issuer.sign({ sub: 'pref-reader-1' });
    const open = await fetch(`${app.url}/open`, { headers: { authorization: `Bearer tenant-1:${token}` } });
    expect(open.status).toBe(500);
    const fails = await fetch(`${app.url}/fails`, { headers: { authorization: `Bearer tenant-1:${token}` } });
    expect(fails.status).toBe(500);
    expect(await fails.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    await app.close();
    await auth.close();
  });

  it('serves the protected resource metadata at its well-known path, unauthenticated, once for two modules', async () => {
    const auth = createAuthenticator(optionsFor(issuer, { ...READER, resourceMetadata: { resource: 'https://metrics.example.com/api', scopesSupported: ['metrics:read'] } }));
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth })], [guardedController([{ method: 'get', path: 'api/v1/query' }])]);
    const app = await startNest(platform, module);
    const path = '/.well-known/oauth-protected-resource/api';
    const document = await fetch(`${app.url}${path}`, { headers: { authorization: 'Bearer t:nonsense' } });
    expect(document.status).toBe(200);
    expect(document.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await document.json()).toEqual(JSON.parse(JSON.stringify(auth.protectedResourceMetadata())));
    const head = await fetch(`${app.url}${path}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${app.url}${path}?other=1`)).status).toBe(200);
    expect((await fetch(`${app.url}${path}`, { method: 'POST' })).status).toBe(404);
    const refused = await fetch(`${app.url}/api/v1/query`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain(
      'resource_metadata="https://metrics.example.com/.well-known/oauth-protected-resource/api"',
    );
    await app.close();
    const without = createAuthenticator(optionsFor(issuer, READER));
    const plain = await startNest(platform, appModule([TenantgateModule.forRoot({ authenticator: without })], [guardedController([{ method: 'get', path: 'data' }])]));
    expect((await fetch(`${plain.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
    await plain.close();
    await without.close();
    await auth.close();
  });
});

describe('TenantgateModule options', () => {
  const problemsOf = (make: () => unknown): string[] => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  };

  it('are checked by forRoot at once', () => {
    const auth = createAuthenticator(optionsFor(issuer, READER));
    expect(problemsOf(() => TenantgateModule.forRoot({ authenticator: auth, scopes: 'metrics:write' } as TenantgateModuleOptions))).toStrictEqual([
      '`scopes` is not an option (did you mean `scope`?).',
    ]);
    expect(problemsOf(() => TenantgateModule.forRoot({ auth } as unknown as TenantgateModuleOptions))).toStrictEqual([
      '`authenticator` is required: it must be an authenticator made by createAuthenticator().',
      '`auth` is not an option (did you mean `authenticator`?).',
    ]);
    expect(problemsOf(() => TenantgateModule.forRoot({ authenticator: auth, passErrors: true } as TenantgateModuleOptions))).toStrictEqual([
      '`passErrors` is not an option.',
    ]);
    expect(TenantgateModule.forRoot({ authenticator: auth, scope: 'metrics:read', forwardTenantHeader: 'x-scope-orgid' }).global).toBe(true);
    void auth.close();
  });

  it('are checked by forRootAsync and @RequireScope at once', () => {
    expect(problemsOf(() => TenantgateModule.forRootAsync({ usefactory: () => ({}) } as never))).toStrictEqual([
      '`useFactory` is required: it must be a function returning the module options (or a promise of them).',
      '`usefactory` is not an option (did you mean `useFactory`?).',
    ]);
    expect(problemsOf(() => RequireScope(['metrics:read'] as unknown as string))).toStrictEqual([
      '@RequireScope() takes a scope such as "metrics:read", or a function of the request returning one; got a list.',
    ]);
    expect(problemsOf(() => RequireScope(''))).toStrictEqual([
      '@RequireScope() takes a scope such as "metrics:read", or a function of the request returning one; got "".',
    ]);
  });

  it('provide the authenticator for injection', async () => {
    const auth: Authenticator = createAuthenticator(optionsFor(issuer, READER));
    class Probe {
      constructor(readonly auth: Authenticator) {}
    }
    Injectable()(Probe);
    Inject(TENANTGATE_AUTHENTICATOR)(Probe, undefined, 0);
    class ProbeModule {}
    Module({ providers: [Probe], exports: [Probe] })(ProbeModule);
    const module = appModule([TenantgateModule.forRoot({ authenticator: auth })], []);
    Module({ imports: [TenantgateModule.forRoot({ authenticator: auth }), ProbeModule] })(module);
    const app = await startNest('express', module);
    expect(app.app.get(Probe).auth).toBe(auth);
    await app.close();
    await auth.close();
  });
});
