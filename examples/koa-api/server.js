// A Koa 3 service with per-tenant metrics, protected by tenantgate:
//   GET  /metrics  needs metrics:read  -> Prometheus text, only the caller's tenants
//   POST /push     needs metrics:write -> 204
// Run: npm run example:koa   (see README.md for a real issuer)
import { pathToFileURL } from 'node:url';
import Koa from 'koa';
import { createAuthenticator } from 'tenantgate';
import { middleware } from 'tenantgate/koa';
import { exampleConfig } from '../shared/config.js';
import { createTenantCounter, PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import { runFromCommandLine } from '../shared/run.js';
import { serve } from '../shared/serve.js';

/**
 * Starts the service. Without ISSUER_URL a local test issuer is started too and returned
 * as `issuer`, so callers can sign tokens with it.
 *
 * @param {{ port?: number, host?: string, env?: Record<string, string | undefined> }} [options]
 */
export async function start({ port = 0, host = '127.0.0.1', env = process.env } = {}) {
  const { options, issuer } = await exampleConfig(env);
  const auth = createAuthenticator(options);
  const counter = createTenantCounter();
  const canRead = middleware(auth, { scope: 'metrics:read' });
  const canWrite = middleware(auth, { scope: 'metrics:write' });

  const app = new Koa();
  // A two-route router by hand (use @koa/router in a real service): each route runs
  // tenantgate's middleware with its scope, then the handler, which sees ctx.state.auth.
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/metrics') {
      return canRead(ctx, async () => {
        counter.count(ctx.state.auth.tenants);
        ctx.type = PROMETHEUS_CONTENT_TYPE;
        ctx.body = counter.render(ctx.state.auth.tenants);
      });
    }
    if (ctx.method === 'POST' && ctx.path === '/push') {
      return canWrite(ctx, async () => {
        counter.count(ctx.state.auth.tenants);
        ctx.status = 204;
      });
    }
    return next();
  });

  return serve(app.callback(), { port, host, auth, issuer });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'koa-api',
    start,
    requests: [
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/push' },
    ],
  });
}
