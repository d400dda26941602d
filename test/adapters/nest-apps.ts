// Real Nest applications for the tests, on the Express or the Fastify platform. The tests are
// compiled without `experimentalDecorators`, so Nest's decorators are applied by hand, the way
// the compiler would apply them (and the way a plain JavaScript application does).
import type { AddressInfo } from 'node:net';
import { Controller, Get, HttpCode, Module, Post, Req, UseGuards, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Auth, RequireScope, TenantgateGuard, type NestRequest } from '../../src/adapters/nest.js';
import type { ScopeOption } from '../../src/adapters/http.js';
import type { AuthResult } from '../../src/index.js';

export type Platform = 'express' | 'fastify';

/** Applies method decorators (listed outermost first) to `target.prototype[name]`. */
export function decorateMethod(target: { prototype: object }, name: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  if (descriptor === undefined) throw new Error(`no method ${name}`);
  for (const decorator of [...decorators].reverse()) decorator(target.prototype, name, descriptor);
}

/** Applies parameter decorators to the parameters of `target.prototype[name]`, by position. */
export function decorateParameters(target: { prototype: object }, name: string, ...decorators: ParameterDecorator[]): void {
  decorators.forEach((decorator, index) => decorator(target.prototype, name, index));
}

/** One route of a test controller: what it answers is the result and the request's headers. */
export interface RouteSpec {
  method: 'get' | 'post';
  path: string;
  scope?: ScopeOption<NestRequest>;
  /** Without `@Auth()`: the handler reads `request.auth` itself. */
  withoutAuthParameter?: boolean;
}

export interface Answer {
  tenant: string | null;
  policy: string | null;
  subject: string | null;
  forwarded: unknown;
}

/** A controller class guarded by TenantgateGuard with these routes; `scope` on the class too. */
export function guardedController(routes: RouteSpec[], classScope?: ScopeOption<NestRequest>, guarded = true): new () => object {
  class TestController {}
  const prototype = TestController.prototype as unknown as Record<string, (auth: unknown, request: NestRequest) => Answer>;
  routes.forEach((route, index) => {
    const name = `route${index}`;
    prototype[name] = (auth: unknown, request: NestRequest) => answerOf((route.withoutAuthParameter ? request.auth : auth) as AuthResult | undefined, request);
    const mapping = route.method === 'get' ? Get(route.path) : Post(route.path);
    const decorators: MethodDecorator[] = [mapping, HttpCode(200)];
    if (route.scope !== undefined) decorators.push(RequireScope(route.scope));
    decorateMethod(TestController, name, ...decorators);
    if (route.withoutAuthParameter) decorateParameters(TestController, name, Req(), Req());
    else decorateParameters(TestController, name, Auth(), Req());
  });
  Controller()(TestController);
  if (classScope !== undefined) RequireScope(classScope)(TestController);
  if (guarded) UseGuards(TenantgateGuard)(TestController);
  return TestController;
}

/** A public controller answering `GET /health` with `{ ok: true }`. */
export function healthController(): new () => object {
  class HealthController {
    health() {
      return { ok: true };
    }
  }
  decorateMethod(HealthController, 'health', Get('health'));
  Controller()(HealthController);
  return HealthController;
}

function answerOf(result: AuthResult | undefined, request: NestRequest): Answer {
  const node = (request.raw ?? request) as { headers: Record<string, unknown> };
  return {
    tenant: result?.tenant ?? null,
    policy: result?.accessPolicy.name ?? null,
    subject: result?.subject ?? null,
    forwarded: node.headers['x-scope-orgid'] ?? null,
  };
}

/** A module class importing `imports`, with these controllers. */
export function appModule(imports: DynamicModule[], controllers: (new () => object)[]): new () => object {
  class AppModule {}
  Module({ imports, controllers })(AppModule);
  return AppModule;
}

export interface RunningNest {
  url: string;
  app: INestApplication;
  close(): Promise<void>;
}

/** Creates and starts a Nest application on 127.0.0.1 (a failing start rejects, never exits). */
export async function startNest(platform: Platform, module: new () => object, https?: { key: Buffer; cert: Buffer }): Promise<RunningNest> {
  const tls = https === undefined ? undefined : { ...https, requestCert: true, rejectUnauthorized: false };
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(tls === undefined ? {} : { https: tls });
  const app = await NestFactory.create(module, adapter, { logger: false, abortOnError: false, ...(platform === 'express' && tls ? { httpsOptions: tls } : {}) });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `${https === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, app, close: () => app.close() };
}
