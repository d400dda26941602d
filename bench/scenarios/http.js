// http: autocannon against Fastify, Express, Koa, Hono and Nest apps, each app in its own process
// (http-app.js) so that the load generator and the server do not share an event loop. Per
// framework: no auth, an empty async hook (the floor of any async auth layer), tenantgate's
// adapter and the framework's usual JWT middlewares. Reported relative to no auth.
import { fork } from 'node:child_process';

import autocannon from 'autocannon';

import { issuers } from '../lib/issuers.js';
import { log } from '../lib/log.js';
import { AUDIENCE, S, TENANT } from '../lib/settings.js';
import { median, row, withRatios } from '../lib/stats.js';
import { tokens } from '../lib/tokens.js';

export const HTTP_VARIANTS = {
  fastify: ['none', 'noop', 'tenantgate', '@fastify/jwt'],
  express: ['none', 'noop', 'tenantgate', 'express-oauth2-jwt-bearer', 'express-jwt'],
  koa: ['none', 'noop', 'tenantgate', 'koa-jwt'],
  hono: ['none', 'noop', 'tenantgate', 'hono/jwk'],
  nest: ['none', 'noop', 'tenantgate', '@nestjs/passport'],
};
const HTTP_LABELS = {
  none: 'no auth',
  noop: 'no auth, empty async hook (control)',
  tenantgate: 'tenantgate adapter',
  '@fastify/jwt': '@fastify/jwt + get-jwks',
  'express-oauth2-jwt-bearer': 'express-oauth2-jwt-bearer',
  'express-jwt': 'express-jwt + jwks-rsa',
  'koa-jwt': 'koa-jwt + jwks-rsa',
  'hono/jwk': 'hono/jwk',
  '@nestjs/passport': '@nestjs/passport + passport-jwt + jwks-rsa',
};
export const HTTP_ALG = 'RS256';

async function startApp(framework, variant) {
  const issuer = issuers[HTTP_ALG];
  const child = fork(new URL('../http-app.js', import.meta.url), [], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      BENCH_APP: JSON.stringify({
        framework,
        variant,
        issuerUrl: issuer.url,
        jwksUri: issuer.jwksUri,
        audience: AUDIENCE,
        alg: HTTP_ALG,
      }),
    },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/metrics` };
}

/** The app's process CPU time (user + system), in microseconds. */
function cpuOf(child) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.cpu === undefined) return;
      child.off('message', onMessage);
      resolve(message.cpu.user + message.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function stopApp(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

export async function httpScenario(framework) {
  const jwt = tokens[HTTP_ALG].hot.token;
  const badJwt = tokens[HTTP_ALG].wrongAud.token;
  const headerFor = (variant, token) => (variant === 'tenantgate' ? `Bearer ${TENANT}:${token}` : `Bearer ${token}`);
  const apps = {};
  try {
    // Started together (they idle while another is measured); all are stopped in `finally`.
    const started = await Promise.allSettled(HTTP_VARIANTS[framework].map((variant) => startApp(framework, variant)));
    HTTP_VARIANTS[framework].forEach((variant, index) => {
      if (started[index].status === 'fulfilled') apps[variant] = started[index].value;
    });
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    for (const variant of HTTP_VARIANTS[framework]) {
      const app = apps[variant];
      // Sanity: the valid token gets the body; an auth variant refuses a wrong audience.
      const ok = await fetch(app.url, { headers: { authorization: headerFor(variant, jwt) } });
      const body = await ok.text();
      if (ok.status !== 200 || !body.includes('bench_up 1')) throw new Error(`${framework}/${variant}: got ${ok.status}`);
      if (variant !== 'none' && variant !== 'noop') {
        const bad = await fetch(app.url, { headers: { authorization: headerFor(variant, badJwt) } });
        await bad.arrayBuffer();
        if (bad.status !== 401) throw new Error(`${framework}/${variant}: wrong audience got ${bad.status}`);
      }
    }
    const runs = Object.fromEntries(HTTP_VARIANTS[framework].map((variant) => [variant, []]));
    for (let round = 0; round < S.httpRounds; round += 1) {
      // Each round starts at another variant and every other round runs backwards, so that no
      // variant always runs first, last or right after the same neighbour.
      const variants = HTTP_VARIANTS[framework];
      const order = variants.map((_, index) => variants[(index + round) % variants.length]);
      if (round % 2 === 1) order.reverse();
      for (const variant of order) {
        const options = {
          url: apps[variant].url,
          connections: S.httpConnections,
          pipelining: 1,
          headers: { authorization: headerFor(variant, jwt) },
        };
        if (round === 0) await cannon({ ...options, duration: S.httpWarmupS });
        const cpuBefore = await cpuOf(apps[variant].child);
        const result = await cannon({ ...options, duration: S.httpDurationS });
        const cpuAfter = await cpuOf(apps[variant].child);
        runs[variant].push({
          opsPerSec: result.requests.total / (result.duration || S.httpDurationS),
          serverCpuUsPerRequest: (cpuAfter - cpuBefore) / result.requests.total,
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, average: result.latency.average },
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      }
    }
    const rows = HTTP_VARIANTS[framework].map((variant) => {
      const list = runs[variant];
      const rate = median(list.map((run) => run.opsPerSec));
      const chosen = list.reduce((a, b) => (Math.abs(b.opsPerSec - rate) < Math.abs(a.opsPerSec - rate) ? b : a));
      const valid = list.every((run) => run.errors === 0 && run.non2xx === 0 && run.timeouts === 0);
      const cpu = median(list.map((run) => run.serverCpuUsPerRequest));
      log(`http ${framework} ${variant}: ${Math.round(rate)} req/s, ${cpu.toFixed(1)} µs server CPU per request${valid ? '' : ' (INVALID: errors or non-2xx)'}`);
      return row(`http ${framework}`, 'none', variant, rate, {
        label: HTTP_LABELS[variant],
        samples: list.map((run) => run.opsPerSec),
        serverCpuUsPerRequest: median(list.map((run) => run.serverCpuUsPerRequest)),
        latencyMs: chosen.latencyMs,
        requests: list.reduce((sum, run) => sum + run.requests, 0),
        non2xx: list.reduce((sum, run) => sum + run.non2xx, 0),
        errors: list.reduce((sum, run) => sum + run.errors, 0),
        valid,
      });
    });
    return withRatios(rows, 'none');
  } finally {
    for (const app of Object.values(apps)) await stopApp(app.child);
  }
}
