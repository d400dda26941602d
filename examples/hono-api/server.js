// A Hono 4 service with per-tenant metrics, protected by tenantgate, on @hono/node-server:
//   GET  /metrics  needs metrics:read  -> Prometheus text, only the caller's tenants
//   POST /push     needs metrics:write -> 204
//   GET  /health   public
// Run: npm run example:hono   (see README.md for a real issuer)
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createAuthenticator } from 'tenantgate';
import { middleware } from 'tenantgate/hono';
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

  /** @type {Hono<import('tenantgate/hono').TenantgateEnv>} */
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  app.use('/metrics', middleware(auth, { scope: 'metrics:read' }));
  app.use('/push', middleware(auth, { scope: 'metrics:write' }));
  app.get('/metrics', (c) => {
    const { tenants } = c.get('auth');
    counter.count(tenants);
    return c.body(counter.render(tenants), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });
  app.post('/push', (c) => {
    counter.count(c.get('auth').tenants);
    return c.body(null, 204);
  });

  // Node's http server with Hono's request listener, so that closing works as in the other examples.
  return serve(getRequestListener(app.fetch), { port, host, auth, issuer });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'hono-api',
    start,
    requests: [
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/push' },
    ],
  });
}
