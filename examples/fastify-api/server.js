// A Fastify 5 service with per-tenant metrics, protected by tenantgate:
//   GET  /health   public
//   GET  /metrics  needs metrics:read  -> Prometheus text, only the caller's tenants
//   POST /push     needs metrics:write -> 204
// Run: npm run example:fastify   (see README.md for a real issuer)
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { createAuthenticator } from 'tenantgate';
import tenantgate from 'tenantgate/fastify';
import { exampleConfig } from '../shared/config.js';
import { createTenantCounter, PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import { runFromCommandLine } from '../shared/run.js';
import { urlOf } from '../shared/url.js';

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

  const app = Fastify();
  // Outside the protected context: no credentials needed.
  app.get('/health', async () => ({ status: 'ok', keys: auth.status().ready }));

  // The plugin's onRequest hook only applies inside this encapsulated context.
  await app.register(async (api) => {
    await api.register(tenantgate, {
      authenticator: auth,
      scope: (request) => (request.method === 'GET' || request.method === 'HEAD' ? 'metrics:read' : 'metrics:write'),
    });
    api.get('/metrics', async (request, reply) => {
      counter.count(request.auth.tenants);
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(counter.render(request.auth.tenants));
    });
    api.post('/push', async (request, reply) => {
      counter.count(request.auth.tenants);
      return reply.code(204).send();
    });
  });

  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    await auth.close();
    await issuer?.close();
    throw error;
  }

  return {
    url: urlOf(app.server.address()),
    issuer,
    async close() {
      await app.close();
      await auth.close();
      await issuer?.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'fastify-api',
    start,
    requests: [
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/push' },
    ],
  });
}
