// An auth gateway in front of a multi-tenant backend (Mimir, Loki, Tempo...): a Fastify 5
// reverse proxy (@fastify/http-proxy) that authenticates every request with tenantgate and
// forwards it upstream with X-Scope-OrgID set to the verified tenant, replacing whatever the
// client sent. GET/HEAD need metrics:read, other methods metrics:write. A tenant whose policy
// carries label selectors has its PromQL rewritten to read only the series they match
// (label-policy-hook.js).
// Run: npm run example:gateway   (see README.md for a real issuer and upstream)
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { createAuthenticator } from 'tenantgate';
import tenantgate from 'tenantgate/fastify';
import { exampleConfig } from '../shared/config.js';
import { runFromCommandLine } from '../shared/run.js';
import { urlOf } from '../shared/url.js';
import { labelPolicy, scopeFor } from './label-policy-hook.js';

/**
 * Starts the gateway. The upstream is `upstreamUrl`, else the UPSTREAM_URL environment
 * variable, else a tiny echo server started here (returned as `upstream`). Without
 * ISSUER_URL a local test issuer is started too and returned as `issuer`. `accessPolicies`
 * replaces the configured policies (tests use it to give a tenant label selectors).
 *
 * @param {{
 *   port?: number, host?: string, upstreamUrl?: string, env?: Record<string, string | undefined>,
 *   accessPolicies?: import('tenantgate').AuthenticatorOptions['accessPolicies'],
 * }} [options]
 */
export async function start({ port = 0, host = '127.0.0.1', env = process.env, upstreamUrl = env.UPSTREAM_URL, accessPolicies } = {}) {
  const { options, issuer } = await exampleConfig(env);
  const auth = createAuthenticator(accessPolicies === undefined ? options : { ...options, accessPolicies });
  const labels = labelPolicy();
  const upstream = upstreamUrl ? undefined : await startEchoUpstream();

  const app = Fastify();
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(async (protectedRoutes) => {
    await protectedRoutes.register(tenantgate, {
      authenticator: auth,
      scope: scopeFor,
      // Set from the verified tenant after authentication; a client-sent value never passes.
      forwardTenantHeader: 'x-scope-orgid',
    });
    protectedRoutes.addHook('preHandler', labels.preHandler);
    await protectedRoutes.register(proxy, {
      upstream: upstreamUrl || upstream.url,
      replyOptions: {
        queryString: labels.queryString,
        // The upstream trusts X-Scope-OrgID; it does not need the client's token.
        rewriteRequestHeaders: (_request, headers) => {
          const { authorization, ...rest } = headers;
          return rest;
        },
      },
    });
  });

  const closeAll = async () => {
    await app.close();
    await auth.close();
    await upstream?.close();
    await issuer?.close();
  };
  try {
    await app.listen({ port, host });
  } catch (error) {
    await closeAll();
    throw error;
  }

  return { url: urlOf(app.server.address()), issuer, upstream, close: closeAll };
}

/**
 * A stand-in for Mimir: answers every request with JSON describing what it received,
 * notably the X-Scope-OrgID header and the body, and keeps a list of those requests.
 */
async function startEchoUpstream() {
  /** @type {{ method: string, url: string, orgId: string | string[] | null, authorization: boolean }[]} */
  const received = [];
  const server = createServer((request, response) => {
    const seen = {
      method: request.method ?? '',
      url: request.url ?? '',
      orgId: request.headers['x-scope-orgid'] ?? null,
      authorization: request.headers.authorization !== undefined,
    };
    received.push(seen);
    /** @type {Buffer[]} */
    const body = [];
    request.on('data', (chunk) => body.push(chunk));
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const echoed = { upstream: 'echo', ...seen, contentType: request.headers['content-type'] ?? null, body: Buffer.concat(body).toString() };
      response.end(`${JSON.stringify(echoed)}\n`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  return {
    url: urlOf(server.address()),
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine({
    name: 'gateway',
    start,
    requests: [
      { method: 'GET', path: '/api/v1/query?query=up' },
      {
        method: 'GET',
        path: '/api/v1/query?query=up',
        headers: { 'X-Scope-OrgID': 'tenant-2' },
        note: 'the spoofed tenant-2 is replaced by tenant-1',
      },
      { method: 'POST', path: '/api/v1/push' },
    ],
  });
}
