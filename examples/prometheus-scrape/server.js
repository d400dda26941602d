// A tenantgate-protected metrics endpoint for Prometheus to scrape:
//   GET /metrics  needs metrics:read -> Prometheus text, only the caller's tenants
// Prometheus sends `Authorization: Bearer <tenant>:<jwt>` (authorization.credentials_file) or
// HTTP Basic with username = tenant and password = jwt (basic_auth.password_file).
//
// Run everything (issuer, this service, Prometheus): node examples/prometheus-scrape/run.js
// Run only this service:                             node examples/prometheus-scrape/server.js
// (with ISSUER_URL and AUDIENCE set it trusts your issuer instead of a local test issuer)
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
  /** Refused scrapes by status, so that run.js can report them. */
  const refused = new Map();

  const app = express();
  app.get(
    '/metrics',
    (req, res, next) => {
      res.on('finish', () => {
        if (res.statusCode >= 400) refused.set(res.statusCode, (refused.get(res.statusCode) ?? 0) + 1);
      });
      next();
    },
    middleware(auth, { scope: 'metrics:read' }),
    (req, res) => {
      counter.count(req.auth.tenants);
      res.type(PROMETHEUS_CONTENT_TYPE).send(counter.render(req.auth.tenants));
    },
  );

  const served = await serve(app, { port, host, auth, issuer });
  /** Refused scrapes so far, by HTTP status. */
  return { ...served, refused };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'prometheus-scrape',
    start,
    requests: [{ method: 'GET', path: '/metrics' }],
  });
}
