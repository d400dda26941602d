// introspection: opaque access tokens checked at an RFC 7662 endpoint (issue 18).
//
// (a) hot: one opaque token whose introspection answer is cached, against one JWT already
//     verified and cached, both through the same authenticator, interleaved round by round;
//     reported relative to the cached JWT.
// (b) cold: every opaque token distinct (first seen), at concurrency 1 and 64, each request one
//     introspection round trip; a fresh authenticator per round. Reported as ops/s, per-request
//     latency and this process's CPU time per request, next to the same POST sent with fetch
//     alone (the endpoint's round trip without tenantgate), relative to it.
//
// The endpoint is a tiny node:http server in a child process of its own (this file, started
// with INTROSPECTION_SERVER=1), so that it does not share the event loop it is measured from.
// It answers from memory with no I/O: a real IdP adds its own lookup time to every cold figure.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

import { createAuthenticator } from 'tenantgate';

import { harness } from '../lib/harness.js';
import { issuers } from '../lib/issuers.js';
import { log } from '../lib/log.js';
import { AUDIENCE, POLICY, S, SUB, TENANT } from '../lib/settings.js';
import { median, percentile, row, withRatios } from '../lib/stats.js';
import { tokens } from '../lib/tokens.js';

const CLIENT = { id: 'bench-resource-server', secret: 'bench-secret' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const INACTIVE_PREFIX = 'inactive-';

// ---------------------------------------------------------------------------------------------
// The introspection endpoint (child process)

/** Answers POST /introspect: active for every token but the INACTIVE_PREFIX ones, as `claims` say. */
function serveIntrospection(claims) {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const token = new URLSearchParams(body).get('token');
      let status = 200;
      let answer;
      if (request.method !== 'POST' || request.url !== '/introspect' || token === null) {
        [status, answer] = [400, { error: 'invalid_request' }];
      } else if (request.headers.authorization !== BASIC) {
        [status, answer] = [401, { error: 'invalid_client' }];
      } else if (token.startsWith(INACTIVE_PREFIX)) {
        answer = { active: false };
      } else {
        const iat = Math.floor(Date.now() / 1000);
        answer = { active: true, ...claims, iat, exp: iat + 3600 };
      }
      const text = JSON.stringify(answer);
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

if (process.env.INTROSPECTION_SERVER === '1') {
  process.once('message', (claims) => serveIntrospection(claims));
}

// ---------------------------------------------------------------------------------------------
// The scenario (bench process)

/** Starts the endpoint; resolves its URL and a stop function. */
async function startEndpoint(claims) {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, INTROSPECTION_SERVER: '1' }, stdio: 'inherit' });
  child.send(claims);
  const [{ port }] = await once(child, 'message');
  return {
    url: `http://127.0.0.1:${port}/introspect`,
    stop: async () => {
      child.kill();
      await once(child, 'exit');
    },
  };
}

// Per-request latency needs a loop of its own (the harness reports ops/s only). It is kept as
// source text and evaluated once per implementation and concurrency, like lib/harness.js, so
// that each gets its own compiled copy.
const LATENCY_LOOP_SOURCE = `(async function timedRequests(call, list, concurrency) {
  const hr = () => process.hrtime.bigint();
  const latencies = new Float64Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const index = next++;
      const started = hr();
      await call(list[index]);
      latencies[index] = Number(hr() - started) / 1e6;
    }
  };
  const start = hr();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opsPerSec: list.length / (Number(hr() - start) / 1e9), latencies };
})`;
const latencyLoops = new Map();
function latencyLoop(key) {
  if (!latencyLoops.has(key)) latencyLoops.set(key, (0, eval)(LATENCY_LOOP_SOURCE));
  return latencyLoops.get(key);
}

const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');
const randomPart = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

/**
 * Distinct opaque tokens (43 base64url characters, like oidc-provider's), `prefix` first, each
 * with its Authorization header built beforehand as a flat string, as lib/tokens.js does.
 */
function opaqueTokens(count, prefix) {
  return Array.from({ length: count }, (_, i) => {
    const token = flat(`${prefix}${i.toString(36).padStart(8, '0')}${randomPart()}`.slice(0, 43));
    return { token, header: flat(`Bearer ${TENANT}:${token}`) };
  });
}

/** The endpoint called with fetch alone: the round trip tenantgate cannot go below. */
function fetchAlone(url) {
  return async ({ token }) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    const answer = await response.json();
    if (answer.active !== true) throw new Error('the endpoint did not answer active: true');
    return answer;
  };
}

/** An opaque token and a JWT are accepted with the policy of SUB, an inactive token is refused, before timing starts. */
async function sanityCheck(create, url) {
  const auth = await create();
  const [opaque] = opaqueTokens(1, 'sanity-');
  const result = await auth.authenticate({ authorization: opaque.header });
  if (result.token !== opaque.token || result.claims.sub !== SUB || result.policyNames.join() !== '1234567890' || result.tenant !== TENANT) {
    throw new Error('introspection: the opaque token was not mapped to its policy');
  }
  await auth.authenticate({ authorization: tokens.ES256.hot.header });
  const refused = await auth.authenticate({ authorization: `Bearer ${TENANT}:${INACTIVE_PREFIX}${opaque.token}` }).then(
    () => undefined,
    (error) => error.code,
  );
  if (refused !== 'invalid_token') throw new Error(`introspection: an inactive token gave ${refused ?? 'a result'}, not invalid_token`);
  await auth.close();
  await fetchAlone(url)(opaque);
  log('introspection sanity: opaque and JWT accepted with their policy, inactive refused with invalid_token');
}

/** (a) A cached introspected token against a cached JWT, through one authenticator. */
async function hotRows(create) {
  const auth = await create();
  const headers = {
    'cached JWT (ES256)': tokens.ES256.hot.header,
    'cached introspected token': opaqueTokens(1, 'hot-')[0].header,
  };
  const names = Object.keys(headers);
  const verify = (header) => auth.authenticate({ authorization: header });
  // The warm-up also makes the one introspection call and caches both tokens.
  for (const name of names) await harness(name, 'introspection').runFor(verify, headers[name], S.warmupMs);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < S.rounds; round += 1) {
    for (const name of names) {
      global.gc();
      samples[name].push(await harness(name, 'introspection').runFor(verify, headers[name], S.measureMs));
    }
  }
  await auth.close();
  return withRatios(
    names.map((name) => row('introspection hot', names[0], name, median(samples[name]), { samples: samples[name] })),
    names[0],
  );
}

/** (b) First-seen opaque tokens, each one introspection round trip, at `concurrency`. */
async function coldRows(create, url, concurrency) {
  const list = opaqueTokens(S.coldTokens, 'cold-');
  const warm = opaqueTokens(S.warmTokens, 'warm-');
  const REFERENCE = 'fetch alone (endpoint round trip)';
  const NAME = 'tenantgate (first-seen opaque token)';
  // A fresh authenticator per round: none of the measured tokens is cached. Discovery and the
  // first connection are made with a warm-up token, outside the timing.
  const implementations = {
    [REFERENCE]: async () => ({ call: fetchAlone(url), close: async () => {} }),
    [NAME]: async () => {
      const auth = await create();
      await auth.authenticate({ authorization: warm[0].header });
      return { call: ({ header }) => auth.authenticate({ authorization: header }), close: () => auth.close() };
    },
  };
  const names = Object.keys(implementations);
  for (const name of names) {
    const instance = await implementations[name]();
    await latencyLoop(`${name}/c${concurrency}`)(instance.call, warm, concurrency);
    await instance.close();
  }
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const latencies = Object.fromEntries(names.map((name) => [name, []]));
  // CPU time of this process per request (the endpoint runs in its own): steadier than ops/s
  // on a shared machine, and what the client side of a round trip costs.
  const cpuUs = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < S.rounds; round += 1) {
    for (const name of names) {
      const instance = await implementations[name]();
      global.gc();
      const cpuBefore = process.cpuUsage();
      const run = await latencyLoop(`${name}/c${concurrency}`)(instance.call, list, concurrency);
      const cpu = process.cpuUsage(cpuBefore);
      await instance.close();
      samples[name].push(run.opsPerSec);
      cpuUs[name].push((cpu.user + cpu.system) / list.length);
      for (const latency of run.latencies) latencies[name].push(latency);
    }
  }
  const latencyMs = (values) => ({ p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: values.reduce((a, b) => Math.max(a, b), 0) });
  return withRatios(
    names.map((name) =>
      row(`introspection cold c${concurrency}`, REFERENCE, name, median(samples[name]), {
        samples: samples[name],
        tokens: list.length,
        latencyMs: latencyMs(latencies[name]),
        cpuUsPerRequest: median(cpuUs[name]),
      }),
    ),
    REFERENCE,
  );
}

/** Runs (a) and (b) against a local endpoint; returns `{ hot, cold }` rows. */
export async function introspectionScenario() {
  const issuer = issuers.ES256;
  const endpoint = await startEndpoint({ iss: issuer.url, sub: SUB, aud: AUDIENCE, scope: 'metrics:read', client_id: 'bench-client' });
  const introspection = { clientId: CLIENT.id, clientSecret: CLIENT.secret, endpoint: endpoint.url };
  const create = async () => {
    const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, algorithms: ['ES256'], ...POLICY, introspection });
    await auth.ready();
    return auth;
  };
  try {
    await sanityCheck(create, endpoint.url);
    const hot = await hotRows(create);
    const cold = [];
    for (const concurrency of [1, 64]) cold.push(...(await coldRows(create, endpoint.url, concurrency)));
    return { hot, cold };
  } finally {
    await endpoint.stop();
  }
}

/** The scenario's section of the report on stdout. */
export function printIntrospection({ hot, cold }) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log('\nintrospection (RFC 7662), local endpoint in its own process:');
  for (const r of hot) console.log(`  ${r.scenario.padEnd(26)} ${r.implementation.padEnd(40)} ${fmt(r.opsPerSec).padStart(10)} ops/s  ${r.ratio.toFixed(2)}x`);
  for (const r of cold) {
    const { p50, p90, p99 } = r.latencyMs;
    const latency = `latency p50 ${p50.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`;
    console.log(
      `  ${r.scenario.padEnd(26)} ${r.implementation.padEnd(40)} ${fmt(r.opsPerSec).padStart(10)} ops/s  ${r.ratio.toFixed(2)}x  ${latency}; CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request`,
    );
  }
}
