// One HTTP app for the HTTP scenario, run in its own process (forked by scenarios/http.js) so
// that the load generator (autocannon, in the parent) and the server do not share an event loop.
//
// Configuration comes as JSON in BENCH_APP: { framework, variant, issuerUrl, jwksUri, audience, alg }.
// Every app serves the same route, GET /metrics, with the same small text body.
// When listening, the app sends { port } to the parent over IPC.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const config = JSON.parse(process.env.BENCH_APP ?? '{}');
const { framework, variant, issuerUrl, jwksUri, audience, alg } = config;

export const BODY = '# HELP bench_up Whether the benchmark target is up.\n# TYPE bench_up gauge\nbench_up 1\n';
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const TENANTGATE_OPTIONS = {
  issuerUrl,
  audience,
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
};

async function tenantgateAuthenticator() {
  const { createAuthenticator } = await import('tenantgate');
  const auth = createAuthenticator(TENANTGATE_OPTIONS);
  await auth.ready();
  return auth;
}

function jwksRsaOptions() {
  // The settings jwks-rsa's README recommends for express-jwt / koa-jwt.
  return { jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 };
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  const route = (scope) =>
    scope.get('/metrics', async (request, reply) => {
      reply.type(CONTENT_TYPE);
      return BODY;
    });
  if (variant === 'none') {
    route(app);
  } else if (variant === 'noop') {
    // Control: an async onRequest hook that does nothing, the floor for any auth hook.
    app.addHook('onRequest', async () => {});
    route(app);
  } else if (variant === 'tenantgate') {
    const { default: tenantgate } = await import('tenantgate/fastify');
    const auth = await tenantgateAuthenticator();
    await app.register(async (scope) => {
      await scope.register(tenantgate, { authenticator: auth, scope: 'metrics:read' });
      route(scope);
    });
  } else if (variant === '@fastify/jwt') {
    // The JWKS example of @fastify/jwt's README, plus discovery and the same iss/aud checks.
    const { default: fastifyJwt } = await import('@fastify/jwt');
    const buildGetJwks = require('get-jwks');
    const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuerUrl] });
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (request, token) => {
        const {
          header: { kid, alg: tokenAlg },
          payload: { iss },
        } = token;
        return getJwks.getPublicKey({ kid, domain: iss, alg: tokenAlg });
      },
      verify: { allowedIss: issuerUrl, allowedAud: audience, algorithms: [alg], requiredClaims: ['exp'] },
    });
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify();
    });
    route(app);
  } else {
    throw new Error(`unknown fastify variant ${variant}`);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app.server.address().port;
}

async function expressApp() {
  const { default: express } = await import('express');
  const app = express();
  const handler = (request, response) => {
    response.type(CONTENT_TYPE).send(BODY);
  };
  if (variant === 'none') {
    app.get('/metrics', handler);
  } else if (variant === 'noop') {
    // Control: a middleware that calls next() after a promise settles, like any async auth.
    app.get('/metrics', (request, response, next) => void Promise.resolve().then(() => next()), handler);
  } else if (variant === 'tenantgate') {
    const { middleware } = await import('tenantgate/express');
    const auth = await tenantgateAuthenticator();
    app.get('/metrics', middleware(auth, { scope: 'metrics:read' }), handler);
  } else if (variant === 'express-oauth2-jwt-bearer') {
    const { auth } = require('express-oauth2-jwt-bearer');
    app.get('/metrics', auth({ issuerBaseURL: issuerUrl, audience, tokenSigningAlg: alg }), handler);
  } else if (variant === 'express-jwt') {
    const { expressjwt } = require('express-jwt');
    const jwksRsa = require('jwks-rsa');
    app.get(
      '/metrics',
      expressjwt({ secret: jwksRsa.expressJwtSecret(jwksRsaOptions()), audience, issuer: issuerUrl, algorithms: [alg] }),
      handler,
    );
  } else {
    throw new Error(`unknown express variant ${variant}`);
  }
  // Refusals from the peers arrive as errors: answer 401 without a stack trace.
  app.use((error, request, response, next) => {
    response.status(error.status ?? error.statusCode ?? 500).json({ error: error.code ?? 'error' });
  });
  const { createServer } = await import('node:http');
  const server = createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function koaApp() {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  if (variant === 'noop') {
    // Control: an async middleware that does nothing but await next().
    app.use(async (context, next) => {
      await next();
    });
  } else if (variant === 'tenantgate') {
    const { middleware } = await import('tenantgate/koa');
    const auth = await tenantgateAuthenticator();
    app.use(middleware(auth, { scope: 'metrics:read' }));
  } else if (variant === 'koa-jwt') {
    const koaJwt = require('koa-jwt');
    const jwksRsa = require('jwks-rsa');
    app.use(koaJwt({ secret: jwksRsa.koaJwtSecret(jwksRsaOptions()), audience, issuer: issuerUrl, algorithms: [alg] }));
  } else if (variant !== 'none') {
    throw new Error(`unknown koa variant ${variant}`);
  }
  app.use((context) => {
    if (context.method === 'GET' && context.path === '/metrics') {
      context.type = CONTENT_TYPE;
      context.body = BODY;
    }
  });
  const { createServer } = await import('node:http');
  const server = createServer(app.callback());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function honoApp() {
  const { Hono } = await import('hono');
  const { getRequestListener } = await import('@hono/node-server');
  const app = new Hono();
  const handler = (c) => c.body(BODY, 200, { 'content-type': CONTENT_TYPE });
  if (variant === 'none') {
    app.get('/metrics', handler);
  } else if (variant === 'noop') {
    // Control: an async middleware that does nothing but await next().
    app.get('/metrics', async (c, next) => {
      await next();
    }, handler);
  } else if (variant === 'tenantgate') {
    const { middleware } = await import('tenantgate/hono');
    const auth = await tenantgateAuthenticator();
    app.get('/metrics', middleware(auth, { scope: 'metrics:read' }), handler);
  } else if (variant === 'hono/jwk') {
    // Hono's own JWKS middleware, with the same iss/aud checks.
    const { jwk } = await import('hono/jwk');
    app.get('/metrics', jwk({ jwks_uri: jwksUri, alg: [alg], verification: { iss: issuerUrl, aud: audience } }), handler);
  } else {
    throw new Error(`unknown hono variant ${variant}`);
  }
  const { createServer } = await import('node:http');
  const server = createServer(getRequestListener(app.fetch));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

// Nest on its default platform (Express). Plain JavaScript: decorators applied by hand.
async function nestApp() {
  const { Controller, Get, Header, Injectable, Module, UseGuards } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const imports = [];
  let guard;
  if (variant === 'noop') {
    // Control: a guard that answers true through a promise, as an async auth guard does.
    guard = class NoopGuard {
      canActivate() {
        return Promise.resolve(true);
      }
    };
    Injectable()(guard);
  } else if (variant === 'tenantgate') {
    const { TenantgateGuard, TenantgateModule } = await import('tenantgate/nest');
    imports.push(TenantgateModule.forRoot({ authenticator: await tenantgateAuthenticator(), scope: 'metrics:read' }));
    guard = TenantgateGuard;
  } else if (variant === '@nestjs/passport') {
    // The usual Nest setup: a passport-jwt strategy with its key from jwks-rsa, and AuthGuard('jwt').
    const { AuthGuard, PassportModule, PassportStrategy } = require('@nestjs/passport');
    const { ExtractJwt, Strategy } = require('passport-jwt');
    const jwksRsa = require('jwks-rsa');
    class JwtStrategy extends PassportStrategy(Strategy) {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKeyProvider: jwksRsa.passportJwtSecret(jwksRsaOptions()),
          audience,
          issuer: issuerUrl,
          algorithms: [alg],
        });
      }
      validate(payload) {
        return payload;
      }
    }
    Injectable()(JwtStrategy);
    class AuthModule {}
    Module({ imports: [PassportModule], providers: [JwtStrategy] })(AuthModule);
    imports.push(AuthModule);
    guard = AuthGuard('jwt');
  } else if (variant !== 'none') {
    throw new Error(`unknown nest variant ${variant}`);
  }
  class MetricsController {
    metrics() {
      return BODY;
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(MetricsController.prototype, 'metrics');
  Header('content-type', CONTENT_TYPE)(MetricsController.prototype, 'metrics', descriptor);
  Get('metrics')(MetricsController.prototype, 'metrics', descriptor);
  if (guard !== undefined) UseGuards(guard)(MetricsController);
  Controller()(MetricsController);
  class AppModule {}
  Module({ imports, controllers: [MetricsController] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: ['error'], abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address().port;
}

const apps = { fastify: fastifyApp, express: expressApp, koa: koaApp, hono: honoApp, nest: nestApp };
const start = apps[framework];
if (start === undefined) throw new Error(`unknown framework ${framework}`);
const port = await start();
process.on('message', (message) => {
  // The parent asks for CPU time around each measured run: server CPU per request is far less
  // sensitive to a shared, noisy machine than requests per second.
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
