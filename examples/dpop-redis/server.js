// Several replicas of one service behind a load balancer, accepting only DPoP-bound tokens
// (RFC 9449), with one replay store in Redis: a proof accepted by one replica is refused by
// every other.
//   GET /metrics  needs metrics:read -> Prometheus text, only the caller's tenants
// Run: npm install && npm start   (needs a Redis; see README.md)
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createAuthenticator } from 'tenantgate';
import { middleware } from 'tenantgate/express';
import { exampleConfig } from '../shared/config.js';
import { createTenantCounter, PROMETHEUS_CONTENT_TYPE } from '../shared/metrics.js';
import { serve } from '../shared/serve.js';
import { createDpopClient } from './client.js';
import { connectRedisReplayStore } from './redis-replay-store.js';

/**
 * Starts one replica: its own Redis connection, authenticator and HTTP server.
 *
 * Clients sign each proof for the URL they address, the load balancer's, so every replica
 * checks `htu` against `publicUrl` + the request's path rather than its own address.
 *
 * @param {{
 *   options: import('tenantgate').AuthenticatorOptions,
 *   redisUrl: string,
 *   publicUrl: string,
 *   port?: number,
 *   host?: string,
 *   prefix?: string,
 * }} settings
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startReplica({ options, redisUrl, publicUrl, port = 0, host = '127.0.0.1', prefix }) {
  const redis = await connectRedisReplayStore(redisUrl, prefix === undefined ? {} : { prefix });
  const auth = createAuthenticator({ ...options, dpop: { mode: 'required', replayStore: redis.replayStore } });
  const counter = createTenantCounter();
  const base = new URL(publicUrl);
  const requestUrl = (req) => `${base.origin}${req.originalUrl}`;

  const app = express();
  app.get('/metrics', middleware(auth, { scope: 'metrics:read', requestUrl }), (req, res) => {
    counter.count(req.auth.tenants);
    res.type(PROMETHEUS_CONTENT_TYPE).send(counter.render(req.auth.tenants));
  });

  // serve() closes the server, then this: the authenticator, then the Redis connection.
  const closeAll = async () => {
    await auth.close();
    await redis.close();
  };
  try {
    return await serve(app, { port, host, auth: { close: closeAll } });
  } catch (error) {
    await redis.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Starts `replicas` replicas sharing one Redis. Without ISSUER_URL a local test issuer is
 * started too (one for all, as replicas trust the same issuer) and returned as `issuer`.
 *
 * @param {{ replicas?: number, port?: number, host?: string, env?: Record<string, string | undefined> }} [options]
 */
export async function start({ replicas = 2, port = 0, host = '127.0.0.1', env = process.env } = {}) {
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const publicUrl = env.PUBLIC_URL || 'https://metrics.example.com';
  const prefix = env.REDIS_PREFIX || undefined;
  const { options, issuer } = await exampleConfig(env);
  const started = [];
  try {
    for (let index = 0; index < replicas; index += 1) {
      started.push(await startReplica({ options, redisUrl, publicUrl, host, prefix, port: port === 0 ? 0 : port + index }));
    }
  } catch (error) {
    await Promise.all(started.map((replica) => replica.close()));
    await issuer?.close();
    throw error;
  }
  return {
    replicas: started,
    issuer,
    publicUrl,
    async close() {
      await Promise.all(started.map((replica) => replica.close()));
      await issuer?.close();
    },
  };
}

/**
 * What a load balancer would make of one request: a proof signed for the public URL, sent to
 * the replica chosen here. Returns the status and, on refusal, the error tenantgate gave.
 */
async function call(client, replica, proof) {
  const response = await fetch(`${replica.url}/metrics`, { headers: client.headers(proof) });
  const body = await response.text();
  const error = /error="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
  return { status: response.status, error, body };
}

async function demo(running) {
  const { replicas, issuer, publicUrl } = running;
  const [first, second] = replicas;
  if (issuer === undefined || first === undefined || second === undefined) return;
  const client = await createDpopClient(issuer);
  const url = `${publicUrl}/metrics`;
  const proof = await client.proof('GET', url);
  const show = (label, { status, error }) => console.log(`  ${label.padEnd(44)} ${status}${error ? ` ${error}` : ''}`);
  console.log(`A client with a DPoP-bound token (cnf.jkt ${client.jkt}) calls ${url}:`);
  show('proof 1 -> replica 1', await call(client, first, proof));
  show('proof 1 again -> replica 2 (a replay)', await call(client, second, proof));
  show('proof 2 (fresh) -> replica 2', await call(client, second, await client.proof('GET', url)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT || 0);
  const replicas = Number(process.env.REPLICAS || 2);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (0 picks free ones), not ${process.env.PORT}`);
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`REPLICAS must be a positive integer, not ${process.env.REPLICAS}`);
  const running = await start({ replicas, port, host: process.env.HOST || '127.0.0.1' });
  running.replicas.forEach((replica, index) => console.log(`replica ${index + 1} listening on ${replica.url}`));
  console.log(`Replay store: ${process.env.REDIS_URL || 'redis://127.0.0.1:6379'}; public URL (htu): ${running.publicUrl}`);
  if (running.issuer !== undefined) {
    console.log(`Using a local test issuer at ${running.issuer.url} (set ISSUER_URL to trust a real one).`);
    await demo(running);
  }
  console.log('Press Ctrl-C to stop.');
  let closing = false;
  const stop = (signal) => {
    if (closing) process.exit(130);
    closing = true;
    console.log(`${signal} received, closing`);
    running.close().then(
      () => console.log('closed'),
      (error) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
