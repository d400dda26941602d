// A NestJS service (Express platform) with per-tenant metrics, protected by tenantgate:
//   GET  /metrics  needs metrics:read  -> Prometheus text, only the caller's tenants
//   POST /push     needs metrics:write -> 204
//   GET  /health   public
// Run: npm run example:nest   (see README.md for a real issuer)
//
// Plain JavaScript has no decorator syntax yet, so Nest's decorators are applied by hand below,
// as TypeScript would apply `@Controller()`, `@Get()` and friends; README.md shows the
// TypeScript form.
import { pathToFileURL } from 'node:url';
import { Controller, Get, Header, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createAuthenticator } from 'tenantgate';
import { Auth, RequireScope, TenantgateGuard, TenantgateModule } from 'tenantgate/nest';
import { exampleConfig } from '../shared/config.js';
import { createTenantCounter, PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import { runFromCommandLine } from '../shared/run.js';
import { urlOf } from '../shared/url.js';

/** Applies decorators to a method, outermost first, and parameter decorators by position. */
function decorate(target, name, decorators, parameters = []) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  for (const decorator of [...decorators].reverse()) decorator(target.prototype, name, descriptor);
  parameters.forEach((decorator, index) => decorator(target.prototype, name, index));
}

/** The controllers of one application, sharing its counter. */
function controllersFor(counter) {
  class MetricsController {
    metrics(auth) {
      counter.count(auth.tenants);
      return counter.render(auth.tenants);
    }

    push(auth) {
      counter.count(auth.tenants);
    }
  }
  decorate(MetricsController, 'metrics', [Get('metrics'), RequireScope('metrics:read'), Header('content-type', PROMETHEUS_CONTENT_TYPE)], [Auth()]);
  decorate(MetricsController, 'push', [Post('push'), RequireScope('metrics:write'), HttpCode(204)], [Auth()]);
  UseGuards(TenantgateGuard)(MetricsController);
  Controller()(MetricsController);

  class HealthController {
    health() {
      return { ok: true };
    }
  }
  decorate(HealthController, 'health', [Get('health')]);
  Controller()(HealthController);
  return [MetricsController, HealthController];
}

/**
 * Starts the service. Without ISSUER_URL a local test issuer is started too and returned
 * as `issuer`, so callers can sign tokens with it.
 *
 * @param {{ port?: number, host?: string, env?: Record<string, string | undefined> }} [options]
 */
export async function start({ port = 0, host = '127.0.0.1', env = process.env } = {}) {
  const { options, issuer } = await exampleConfig(env);
  const auth = createAuthenticator(options);

  class AppModule {}
  Module({
    imports: [TenantgateModule.forRoot({ authenticator: auth })],
    controllers: controllersFor(createTenantCounter()),
  })(AppModule);

  const closeAll = async (app) => {
    await app?.close();
    await auth.close();
    await issuer?.close();
  };
  let app;
  try {
    app = await NestFactory.create(AppModule, { logger: ['error', 'warn'], abortOnError: false });
    await app.listen(port, host);
  } catch (error) {
    await closeAll(app);
    throw error;
  }
  return { url: urlOf(app.getHttpServer().address()), issuer, close: () => closeAll(app) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'nest-api',
    start,
    requests: [
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/push' },
    ],
  });
}
