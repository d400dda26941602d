// An Express 5 service with per-tenant metrics, protected by tenantgate:
//   GET  /metrics  needs metrics:read  -> Prometheus text, only the caller's tenants
//   POST /push     needs metrics:write -> 204
// Run: npm run example:express   (see README.md for a real issuer)
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createAuthenticator } from 'tenantgate';
import { middleware } from 'tenantgate/express';
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

  const app = express();
  app.get('/metrics', middleware(auth, { scope: 'metrics:read' }), (req, res) => {
    counter.count(req.auth.tenants);
    res.type(PROMETHEUS_CONTENT_TYPE).send(counter.render(req.auth.tenants));
  });
  app.post('/push', middleware(auth, { scope: 'metrics:write' }), (req, res) => {
    counter.count(req.auth.tenants);
    res.status(204).end();
  });

  return serve(app, { port, host, auth, issuer });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'express-metrics',
    start,
    requests: [
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/push' },
    ],
  });
}
