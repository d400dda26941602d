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

const apps = { fastify: fastifyApp, express: expressApp, koa: koaApp };
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
