// tenantgate benchmarks against its peers. See docs/performance.md.
//
//   npm run bench              full run (several minutes)
//   npm run bench -- --quick   short run (under 2 minutes), smaller counts, stated in the output
//
// Every implementation verifies the same RS256 and ES256 tokens from the same local issuers
// (createTestIssuer from tenantgate/testing) with the same iss / aud / alg / exp checks, gets
// the same warm-up and the same iteration counts or time, and is measured in the same run.
import { fork } from 'node:child_process';
import { createPublicKey, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

import autocannon from 'autocannon';
import { createVerifier } from 'fast-jwt';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createAuthenticator } from 'tenantgate';
import { createTestIssuer } from 'tenantgate/testing';

const require = createRequire(import.meta.url);
const QUICK = process.argv.includes('--quick');

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench does)');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// Settings. Quick mode shortens times and counts; every implementation gets the same ones.
// ---------------------------------------------------------------------------------------
const S = QUICK
  ? {
      warmupMs: 250, // micro scenarios: untimed warm-up per implementation
      measureMs: 300, // micro scenarios: timed window per round
      rounds: 1, // rounds per implementation (interleaved); the median is reported
      coldTokens: 1500, // distinct tokens per cold run
      warmTokens: 300, // distinct tokens for warm-up, never measured
      mixedDistinct: 10000,
      mixedDraws: 10_000, // requests of the Zipf stream, from a cold cache
      mixedCapS: 1, // ...or until this long, for implementations without a cache only
      mixedRounds: 1,
      httpWarmupS: 0.5,
      httpDurationS: 1,
      httpRounds: 1,
      httpConnections: 32,
      memoryTokens: 100_000,
      jwksFlood: 10_000,
      jwksWindowS: 1, // the flood is spread over this window
      jwksGraceS: 0.5, // then stragglers get this long
      firstRequestReps: 10,
    }
  : {
      warmupMs: 1000,
      measureMs: 1000,
      rounds: 3,
      coldTokens: 10000,
      warmTokens: 500,
      mixedDistinct: 10000,
      mixedDraws: 100_000,
      mixedCapS: 6,
      mixedRounds: 2,
      httpWarmupS: 2,
      httpDurationS: 4,
      httpRounds: 5, // variants interleaved round by round, in a rotating order; the median is reported
      httpConnections: 32,
      memoryTokens: 1_000_000,
      jwksFlood: 10_000,
      jwksWindowS: 5,
      jwksGraceS: 3,
      firstRequestReps: 30,
    };
const ZIPF_S = 1.1;
const AUDIENCE = 'metrics-api';
const SUB = 'pref-1234567890-bench';
const TENANT = 'tenant-1';
const POLICY = {
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: TENANT }] } },
};
const ALGS = ['RS256', 'ES256'];

const hr = () => process.hrtime.bigint();
const log = (...args) => console.error('[bench]', ...args);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const MiB = (bytes) => bytes / 1024 / 1024;
const benchStarted = hr();

// ---------------------------------------------------------------------------------------
// Issuers and tokens
// ---------------------------------------------------------------------------------------
log(QUICK ? 'quick mode' : 'full mode', JSON.stringify(S));
const issuers = {
  RS256: await createTestIssuer({ algorithms: ['RS256'], audience: AUDIENCE }),
  ES256: await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE }),
};

async function signMany(issuer, count, claims = (i) => ({ jti: `t${i}` }), options = {}) {
  const tokens = new Array(count);
  const BATCH = 256; // WebCrypto signs on the libuv pool: a batch keeps both cores busy
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    const batch = await Promise.all(
      Array.from({ length: n }, (_, j) => issuer.sign({ sub: SUB, ...claims(i + j) }, { expiresIn: '2h', ...options })),
    );
    for (let j = 0; j < n; j += 1) tokens[i + j] = batch[j];
  }
  return tokens;
}

// What a verifier is handed: the compact JWT for the peers, the Authorization header value
// for tenantgate. Both are built before any timing as flat strings, the way a server gets
// them from its HTTP parser (a concatenated string would be copied on first use, in the timing).
const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');
const item = (token) => ({ token: flat(token), header: flat(`Bearer ${TENANT}:${token}`) });

const phases = {};
/**
 * The machine's CPU time so far, from /proc/stat (Linux): `steal` is time the hypervisor ran
 * something else while this VM wanted its CPUs. `undefined` elsewhere.
 */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU time stolen by the hypervisor between two cpuTimes(). */
function stealShare(before, after) {
  if (before === undefined || after === undefined || after.total === before.total) return null;
  return (after.steal - before.steal) / (after.total - before.total);
}

const steal = {};
async function phase(name, run) {
  const started = hr();
  const cpuBefore = cpuTimes();
  const result = await run();
  phases[name] = Number(hr() - started) / 1e9;
  steal[name] = stealShare(cpuBefore, cpuTimes());
  const stolen = steal[name] === null ? '' : `, ${(100 * steal[name]).toFixed(1)}% of the CPU time stolen by the hypervisor`;
  log(`${name} done in ${phases[name].toFixed(1)} s${stolen}`);
  return result;
}

const tokens = {};
// Distinct tokens: pool[0 .. coldTokens) for the cold scenario, and the mixed scenario's set of
// mixedDistinct ranks, of which only the ranks its stream draws are signed (the same for both).
const MIXED_RANKS = zipfDraws(S.mixedDistinct, S.mixedDraws, ZIPF_S, 42);
async function signPool(issuer) {
  const needed = new Set(MIXED_RANKS);
  for (let i = 0; i < S.coldTokens; i += 1) needed.add(i);
  const indexes = [...needed];
  const signed = await signMany(issuer, indexes.length, (i) => ({ jti: `p${indexes[i]}` }));
  const pool = new Array(Math.max(S.mixedDistinct, S.coldTokens));
  indexes.forEach((index, i) => {
    pool[index] = item(signed[i]);
  });
  return pool;
}

async function signPools() {
  for (const alg of ALGS) {
    const issuer = issuers[alg];
    tokens[alg] = {
      hot: item(await issuer.sign({ sub: SUB }, { expiresIn: '2h' })),
      warm: (await signMany(issuer, S.warmTokens, (i) => ({ jti: `w${i}` }))).map(item),
      pool: await signPool(issuer),
      wrongAud: item(await issuer.sign({ sub: SUB, aud: 'another-api' })),
      wrongIss: item(await issuer.sign({ sub: SUB, iss: 'http://127.0.0.1:9/not-the-issuer' })),
    };
  }
}

// One key fetch for fast-jwt and the crypto.verify floor: the issuer's JWKS, imported once.
async function fetchKey(issuer) {
  const response = await fetch(issuer.jwksUri);
  const { keys } = await response.json();
  if (keys.length !== 1) throw new Error('expected one key');
  return createPublicKey({ key: keys[0], format: 'jwk' });
}
const keyObjects = {};
for (const alg of ALGS) keyObjects[alg] = await fetchKey(issuers[alg]);

// ---------------------------------------------------------------------------------------
// The implementations of the micro scenarios. Each factory returns a fresh instance (no
// cache, no keys) and a `prime` step run before any timing (key fetch, discovery).
// verify(token) returns the claims (sync or a promise) or throws.
// ---------------------------------------------------------------------------------------
const IMPLEMENTATIONS = {
  tenantgate: {
    label: 'tenantgate authenticate',
    caches: true,
    async create(alg) {
      const issuer = issuers[alg];
      const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, algorithms: [alg], ...POLICY });
      await auth.ready();
      return {
        verify: (input) => auth.authenticate({ authorization: input.header }),
        close: () => auth.close(),
        auth,
      };
    },
  },
  'fast-jwt (cache)': {
    label: 'fast-jwt verifier, cache: true',
    caches: true,
    async create(alg) {
      return { verify: fastJwtVerifier(alg, true), close() {} };
    },
  },
  'fast-jwt': {
    label: 'fast-jwt verifier, no cache',
    async create(alg) {
      return { verify: fastJwtVerifier(alg, false), close() {} };
    },
  },
  jose: {
    label: 'jose jwtVerify + createRemoteJWKSet',
    async create(alg) {
      const issuer = issuers[alg];
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
      const options = { issuer: issuer.url, audience: AUDIENCE, algorithms: [alg], requiredClaims: ['exp'] };
      return { verify: (input) => jwtVerify(input.token, jwks, options), close() {} };
    },
  },
  'crypto.verify': {
    label: 'node:crypto verify, signature only (floor)',
    floor: true,
    async create(alg) {
      const key = alg === 'ES256' ? { key: keyObjects[alg], dsaEncoding: 'ieee-p1363' } : keyObjects[alg];
      return {
        verify(input) {
          const { token } = input;
          const dot = token.lastIndexOf('.');
          const ok = cryptoVerify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'));
          if (!ok) throw new Error('bad signature');
          return ok;
        },
        close() {},
      };
    },
  },
};
const IMPL_NAMES = Object.keys(IMPLEMENTATIONS);

function fastJwtVerifier(alg, cache) {
  const issuer = issuers[alg];
  const verifier = createVerifier({
    key: keyObjects[alg].export({ type: 'spki', format: 'pem' }),
    algorithms: [alg],
    allowedIss: issuer.url,
    allowedAud: AUDIENCE,
    requiredClaims: ['exp'],
    cache,
  });
  return (input) => verifier(input.token);
}

/** Each implementation must accept the issuer's token and refuse a wrong aud and a wrong iss. */
async function sanityCheck() {
  for (const alg of ALGS) {
    for (const name of IMPL_NAMES) {
      const impl = await IMPLEMENTATIONS[name].create(alg);
      await impl.verify(tokens[alg].hot);
      if (!IMPLEMENTATIONS[name].floor) {
        for (const bad of ['wrongAud', 'wrongIss']) {
          let refused = false;
          try {
            await impl.verify(tokens[alg][bad]);
          } catch {
            refused = true;
          }
          if (!refused) throw new Error(`${name} accepted a token with a ${bad} (${alg})`);
        }
      }
      await impl.close();
    }
  }
  log('sanity: every implementation accepts the valid tokens and refuses wrong aud / iss');
}

// ---------------------------------------------------------------------------------------
// Timing helpers
// ---------------------------------------------------------------------------------------
// The timing loops. Each implementation (and algorithm) gets its own compiled copy, so that
// V8's inline caches in the loop stay monomorphic for everyone: one shared loop calling five
// different verifiers goes megamorphic and taxes the fastest implementation the most.
const HARNESS_SOURCE = `({
  /** Calls verify(input) repeatedly for ms; a sync verifier in a plain loop, an async one awaited. */
  async runFor(verify, input, ms) {
    const hr = () => process.hrtime.bigint();
    const probe = verify(input);
    const isAsync = typeof probe?.then === 'function';
    if (isAsync) await probe;
    const BATCH = 64;
    let ops = 0;
    const start = hr();
    const end = start + BigInt(Math.round(ms * 1e6));
    let now = start;
    if (isAsync) {
      while (now < end) {
        for (let i = 0; i < BATCH; i += 1) await verify(input);
        ops += BATCH;
        now = hr();
      }
    } else {
      while (now < end) {
        for (let i = 0; i < BATCH; i += 1) verify(input);
        ops += BATCH;
        now = hr();
      }
    }
    return ops / (Number(now - start) / 1e9);
  },
  /** Verifies sequence[0], sequence[1], ... until count are done or capMs has passed. */
  async runSequence(verify, sequence, count, capMs) {
    const hr = () => process.hrtime.bigint();
    const BATCH = 64;
    const start = hr();
    // No cap: an end far beyond any run.
    const end = start + BigInt(Math.round(Math.min(capMs, 864e5) * 1e6));
    let now = start;
    const probe = verify(sequence[0]); // timed too: it is the stream's first request
    const isAsync = typeof probe?.then === 'function';
    if (isAsync) await probe;
    let i = 1;
    if (isAsync) {
      while (i < count && now < end) {
        const stop = Math.min(count, i + BATCH);
        for (; i < stop; i += 1) await verify(sequence[i]);
        now = hr();
      }
    } else {
      while (i < count && now < end) {
        const stop = Math.min(count, i + BATCH);
        for (; i < stop; i += 1) verify(sequence[i]);
        now = hr();
      }
    }
    now = hr();
    return { done: i, opsPerSec: i / (Number(now - start) / 1e9) };
  },
  /** Verifies every entry of list once with concurrency callers; returns ops/s. */
  async runTokens(verify, list, concurrency) {
    const hr = () => process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const result = verify(list[next++]);
        if (typeof result?.then === 'function') await result;
      }
    };
    const start = hr();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return list.length / (Number(hr() - start) / 1e9);
  },
})`;
const harnesses = new Map();
function harness(name, alg) {
  const key = `${name}/${alg}`;
  if (!harnesses.has(key)) harnesses.set(key, (0, eval)(HARNESS_SOURCE));
  return harnesses.get(key);
}

function row(scenario, reference, implementation, opsPerSec, extra = {}) {
  return { scenario, reference, implementation, opsPerSec, ...extra };
}

function withRatios(rows, referenceName) {
  const reference = rows.find((r) => r.implementation === referenceName);
  for (const r of rows) r.ratio = reference ? r.opsPerSec / reference.opsPerSec : null;
  return rows;
}

// ---------------------------------------------------------------------------------------
// 1. hot: one token verified over and over
// ---------------------------------------------------------------------------------------
async function hotScenario(alg) {
  const token = tokens[alg].hot;
  const instances = {};
  for (const name of IMPL_NAMES) {
    instances[name] = await IMPLEMENTATIONS[name].create(alg);
    await harness(name, alg).runFor(instances[name].verify, token, S.warmupMs);
  }
  const samples = Object.fromEntries(IMPL_NAMES.map((name) => [name, []]));
  for (let round = 0; round < S.rounds; round += 1) {
    for (const name of IMPL_NAMES) {
      global.gc(); // no garbage of an earlier phase or implementation is collected in the timing
      samples[name].push(await harness(name, alg).runFor(instances[name].verify, token, S.measureMs));
    }
  }
  for (const name of IMPL_NAMES) await instances[name].close();
  const scenario = `hot ${alg}`;
  return withRatios(
    IMPL_NAMES.map((name) => row(scenario, 'fast-jwt (cache)', name, median(samples[name]), { samples: samples[name] })),
    'fast-jwt (cache)',
  );
}

// ---------------------------------------------------------------------------------------
// 2. cold: every token distinct, at concurrency 1 and 64
// ---------------------------------------------------------------------------------------
async function coldScenario(alg, concurrency) {
  const list = tokens[alg].pool.slice(0, S.coldTokens);
  const warm = tokens[alg].warm;
  // JIT warm-up on the warm-up tokens (distinct from the measured ones) for everyone.
  for (const name of IMPL_NAMES) {
    const impl = await IMPLEMENTATIONS[name].create(alg);
    await harness(name, alg).runTokens(impl.verify, warm, concurrency);
    await impl.close();
  }
  const samples = Object.fromEntries(IMPL_NAMES.map((name) => [name, []]));
  for (let round = 0; round < S.rounds; round += 1) {
    for (const name of IMPL_NAMES) {
      // A fresh instance per round: nothing of the measured tokens is cached. Priming
      // (discovery, key fetch and import) uses one warm-up token, outside the timing.
      const impl = await IMPLEMENTATIONS[name].create(alg);
      await impl.verify(warm[0]);
      global.gc();
      samples[name].push(await harness(name, alg).runTokens(impl.verify, list, concurrency));
      await impl.close();
    }
  }
  const scenario = `cold ${alg} c${concurrency}`;
  return withRatios(
    IMPL_NAMES.map((name) => row(scenario, 'jose', name, median(samples[name]), { samples: samples[name], tokens: list.length })),
    'jose',
  );
}

// ---------------------------------------------------------------------------------------
// 3. mixed: 10k distinct tokens drawn from a Zipf distribution
// ---------------------------------------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfDraws(distinct, count, s, seed) {
  const cdf = new Float64Array(distinct);
  let total = 0;
  for (let k = 0; k < distinct; k += 1) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  const random = mulberry32(seed);
  const draws = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) {
    const u = random() * total;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    draws[i] = lo;
  }
  return draws;
}

async function mixedScenario(alg) {
  // The same stream for everyone: S.mixedDraws requests, rank k of mixedDistinct tokens drawn
  // with weight 1/k^s.
  const { pool } = tokens[alg];
  const sequence = Array.from(MIXED_RANKS, (rank) => pool[rank]);
  const distinctInStream = new Set(sequence).size;
  // JIT warm-up on the warm-up tokens (not part of the stream), then a fresh instance per round:
  // every implementation starts the stream with an empty cache and does the same requests.
  for (const name of IMPL_NAMES) {
    const impl = await IMPLEMENTATIONS[name].create(alg);
    await harness(name, alg).runFor(impl.verify, tokens[alg].warm[0], S.warmupMs / 2);
    await harness(name, alg).runTokens(impl.verify, tokens[alg].warm, 1);
    await impl.close();
  }
  const samples = Object.fromEntries(IMPL_NAMES.map((name) => [name, []]));
  const done = Object.fromEntries(IMPL_NAMES.map((name) => [name, []]));
  for (let round = 0; round < S.mixedRounds; round += 1) {
    for (const name of IMPL_NAMES) {
      const impl = await IMPLEMENTATIONS[name].create(alg);
      await impl.verify(tokens[alg].warm[0]); // priming: discovery, key fetch and import
      global.gc();
      // Without a cache the cost of a request does not depend on its place in the stream, so a
      // prefix measures the same thing: those stop at the time cap. Caching ones serve it all.
      const capMs = IMPLEMENTATIONS[name].caches ? Number.POSITIVE_INFINITY : S.mixedCapS * 1000;
      const result = await harness(name, alg).runSequence(impl.verify, sequence, sequence.length, capMs);
      samples[name].push(result.opsPerSec);
      done[name].push(result.done);
      await impl.close();
    }
  }
  const scenario = `mixed ${alg} zipf`;
  return withRatios(
    IMPL_NAMES.map((name) =>
      row(scenario, 'fast-jwt (cache)', name, median(samples[name]), {
        samples: samples[name],
        distinct: S.mixedDistinct,
        draws: sequence.length,
        distinctInStream,
        drawsDone: done[name],
      }),
    ),
    'fast-jwt (cache)',
  );
}

// ---------------------------------------------------------------------------------------
// 4. HTTP: autocannon against Fastify, Express and Koa apps (each in its own process)
// ---------------------------------------------------------------------------------------
const HTTP_VARIANTS = {
  fastify: ['none', 'noop', 'tenantgate', '@fastify/jwt'],
  express: ['none', 'noop', 'tenantgate', 'express-oauth2-jwt-bearer', 'express-jwt'],
  koa: ['none', 'noop', 'tenantgate', 'koa-jwt'],
};
const HTTP_LABELS = {
  none: 'no auth',
  noop: 'no auth, empty async hook (control)',
  tenantgate: 'tenantgate adapter',
  '@fastify/jwt': '@fastify/jwt + get-jwks',
  'express-oauth2-jwt-bearer': 'express-oauth2-jwt-bearer',
  'express-jwt': 'express-jwt + jwks-rsa',
  'koa-jwt': 'koa-jwt + jwks-rsa',
};
const HTTP_ALG = 'RS256';

async function startApp(framework, variant) {
  const issuer = issuers[HTTP_ALG];
  const child = fork(new URL('./http-app.js', import.meta.url), [], {
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

async function httpScenario(framework) {
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

// ---------------------------------------------------------------------------------------
// 5. memory: heap and RSS growth after many distinct valid tokens through tenantgate
// ---------------------------------------------------------------------------------------
async function memoryScenario() {
  const alg = 'ES256'; // ES256 signs ~5x faster than RS256; every token is still a valid signature
  const issuer = issuers[alg];
  const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, ...POLICY }); // default options
  await auth.ready();
  const warm = await signMany(issuer, 1000, (i) => ({ jti: `mw${i}` }));
  for (const token of warm) await auth.authenticate({ authorization: `Bearer ${TENANT}:${token}` });
  const settle = () => {
    global.gc();
    global.gc();
  };
  settle();
  const before = process.memoryUsage();
  const BATCH = 1000;
  const CONCURRENCY = 64;
  let peakRss = before.rss;
  const started = hr();
  const signBatch = (from) => signMany(issuer, Math.min(BATCH, S.memoryTokens - from), (i) => ({ jti: `m${from + i}` }));
  let pending = signBatch(0);
  for (let done = 0; done < S.memoryTokens; done += BATCH) {
    const batch = await pending;
    if (done + BATCH < S.memoryTokens) pending = signBatch(done + BATCH); // sign the next batch meanwhile
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length) await auth.authenticate({ authorization: `Bearer ${TENANT}:${batch[next++]}` });
      }),
    );
    if ((done / BATCH) % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (done && done % 100_000 === 0) log(`memory: ${done} tokens`);
  }
  const seconds = Number(hr() - started) / 1e9;
  settle();
  const after = process.memoryUsage();
  const status = auth.status();
  await auth.close();
  return {
    scenario: 'memory',
    implementation: 'tenantgate',
    algorithm: alg,
    tokens: S.memoryTokens,
    seconds,
    opsPerSec: S.memoryTokens / seconds, // includes signing the tokens
    heapUsedBeforeMiB: MiB(before.heapUsed),
    heapUsedAfterMiB: MiB(after.heapUsed),
    heapGrowthMiB: MiB(after.heapUsed - before.heapUsed),
    rssBeforeMiB: MiB(before.rss),
    rssAfterMiB: MiB(after.rss),
    rssGrowthMiB: MiB(after.rss - before.rss),
    peakRssMiB: MiB(Math.max(peakRss, after.rss)),
    externalGrowthMiB: MiB(after.external - before.external),
    keys: status.issuers[0]?.keys,
  };
}

// ---------------------------------------------------------------------------------------
// 6. JWKS: fetches caused by a flood of unknown kids; first-request latency from cold
// ---------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `count` requests spread evenly over `windowMs`, at most `maxInFlight` at a time, and
 * waits for stragglers up to `graceMs` after the window. Returns what happened.
 */
async function paced(count, windowMs, maxInFlight, graceMs, hit) {
  let launched = 0;
  let inFlight = 0;
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  const launch = (i) => {
    inFlight += 1;
    hit(i).then(
      () => {
        accepted += 1;
        inFlight -= 1;
      },
      () => {
        refused += 1; // expected: no published key has this kid
        inFlight -= 1;
      },
    );
  };
  for (;;) {
    const elapsed = performance.now() - started;
    const due = Math.min(count, Math.floor((elapsed / windowMs) * count) + 1);
    while (launched < due && inFlight < maxInFlight) launch(launched++);
    if (launched === count || elapsed > windowMs + graceMs) break;
    await sleep(1);
  }
  while (inFlight > 0 && performance.now() - started < windowMs + graceMs) await sleep(5);
  return { sent: launched, accepted, refused, stalled: inFlight, seconds: (performance.now() - started) / 1000 };
}

async function floodScenario() {
  const alg = 'ES256';
  const issuer = issuers[alg];
  // Valid signatures whose header names a random kid the issuer never published.
  const flood = [];
  for (let i = 0; i < S.jwksFlood; i += 256) {
    const n = Math.min(256, S.jwksFlood - i);
    flood.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, j) =>
          issuer.sign({ sub: SUB, jti: `k${i + j}` }, { expiresIn: '2h', header: { kid: randomBytes(12).toString('base64url') } }),
        ),
      )),
    );
  }
  const headers = flood.map((token) => `Bearer ${TENANT}:${token}`);
  const kidsOf = flood.map((token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid);
  const tenantgateFlooder = (cooldown) => async () => {
    const auth = createAuthenticator({
      issuerUrl: issuer.url,
      audience: AUDIENCE,
      ...POLICY,
      ...(cooldown === undefined ? {} : { jwks: { cooldown } }),
    });
    await auth.ready();
    return { hit: (i) => auth.authenticate({ authorization: headers[i] }), close: () => auth.close() };
  };
  const joseFlooder = (cooldownDuration) => async () => {
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUri), cooldownDuration === undefined ? {} : { cooldownDuration });
    const options = { issuer: issuer.url, audience: AUDIENCE, algorithms: [alg] };
    await jwtVerify(tokens[alg].hot.token, jwks, options);
    return { hit: (i) => jwtVerify(flood[i], jwks, options), close() {} };
  };
  const flooders = [
    { name: 'tenantgate', label: 'tenantgate, jwks.cooldown 30s (default)', cooldownS: 30, create: tenantgateFlooder(undefined) },
    { name: 'tenantgate (cooldown 1s)', label: 'tenantgate, jwks.cooldown 1s', cooldownS: 1, create: tenantgateFlooder('1s') },
    { name: 'jose', label: 'jose createRemoteJWKSet, cooldown 30s (default)', cooldownS: 30, create: joseFlooder(undefined) },
    { name: 'jose (cooldown 1s)', label: 'jose createRemoteJWKSet, cooldownDuration 1s', cooldownS: 1, create: joseFlooder(1000) },
    {
      name: 'jwks-rsa',
      label: 'jwks-rsa, cache + rateLimit 5/min (README)',
      cooldownS: 12,
      async create() {
        const jwksRsa = require('jwks-rsa');
        const client = jwksRsa({ jwksUri: issuer.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 });
        await client.getSigningKey(issuer.kids[0]);
        return { hit: (i) => client.getSigningKey(kidsOf[i]), close() {} };
      },
    },
    {
      name: 'get-jwks',
      label: 'get-jwks, providerDiscovery (defaults)',
      cooldownS: null,
      async create() {
        const buildGetJwks = require('get-jwks');
        const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuer.url] });
        await getJwks.getPublicKey({ kid: issuer.kids[0], domain: issuer.url, alg });
        return { hit: (i) => getJwks.getPublicKey({ kid: kidsOf[i], domain: issuer.url, alg }), close() {} };
      },
    },
  ];
  const rows = [];
  const windowMs = S.jwksWindowS * 1000;
  for (const flooder of flooders) {
    const instance = await flooder.create();
    issuer.resetRequests();
    const outcome = await paced(flood.length, windowMs, 64, S.jwksGraceS * 1000, instance.hit);
    const fetches = issuer.requests.jwks;
    const allowed = flooder.cooldownS === null ? null : Math.floor(outcome.seconds / flooder.cooldownS) + 1;
    rows.push({
      scenario: 'jwks flood',
      implementation: flooder.name,
      label: flooder.label,
      requests: flood.length,
      ...outcome,
      jwksFetches: fetches,
      discoveryFetches: issuer.requests.discovery,
      cooldownS: flooder.cooldownS,
      allowedByCooldown: allowed,
    });
    log(
      `jwks flood ${flooder.name}: ${fetches} JWKS fetches; ${outcome.sent} sent, ${outcome.refused} refused, ${outcome.stalled} still waiting after ${outcome.seconds.toFixed(1)} s`,
    );
    await instance.close();
  }
  return rows;
}

async function firstRequestScenario() {
  // A fresh issuer (new port, so no pooled connection) per measurement and per implementation.
  const samples = { tenantgate: [], jose: [] };
  for (let rep = 0; rep < S.firstRequestReps; rep += 1) {
    {
      const issuer = await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE });
      const token = await issuer.sign({ sub: SUB });
      const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, ...POLICY });
      const started = hr();
      await auth.authenticate({ authorization: `Bearer ${TENANT}:${token}` }); // discovery + JWKS + verify
      samples.tenantgate.push(Number(hr() - started) / 1e6);
      if (issuer.requests.discovery !== 1 || issuer.requests.jwks !== 1) throw new Error('expected one discovery and one JWKS fetch');
      await auth.close();
      await issuer.close();
    }
    {
      const issuer = await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE });
      const token = await issuer.sign({ sub: SUB });
      const started = hr();
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri)); // JWKS only: jose has no discovery
      await jwtVerify(token, jwks, { issuer: issuer.url, audience: AUDIENCE, algorithms: ['ES256'] });
      samples.jose.push(Number(hr() - started) / 1e6);
      await issuer.close();
    }
  }
  return Object.entries(samples).map(([name, values]) => ({
    scenario: 'first request',
    implementation: name,
    label: name === 'tenantgate' ? 'new authenticator: discovery + JWKS + verify' : 'new createRemoteJWKSet: JWKS + verify (no discovery)',
    reps: values.length,
    medianMs: median(values),
    p90Ms: percentile(values, 90),
    maxMs: Math.max(...values),
    firstMs: values[0],
    samplesMs: values,
  }));
}

// ---------------------------------------------------------------------------------------
// Run everything
// ---------------------------------------------------------------------------------------
function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    const path = require.resolve(name);
    const root = path.slice(0, path.lastIndexOf(`node_modules/${name}`) + `node_modules/${name}`.length);
    return JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
  }
}

const results = { hot: [], cold: [], mixed: [], http: [], memory: null, jwks: { flood: [], firstRequest: [] } };
// Memory first, so that its RSS figures are not blurred by what the other scenarios allocated.
log(`memory: ${S.memoryTokens.toLocaleString('en-US')} distinct ES256 tokens through tenantgate...`);
results.memory = await phase('memory', memoryScenario);
await phase('signing token pools', signPools);
await phase('sanity checks', sanityCheck);
await phase('hot', async () => {
  for (const alg of ALGS) results.hot.push(...(await hotScenario(alg)));
});
await phase('cold', async () => {
  for (const alg of ALGS) for (const concurrency of [1, 64]) results.cold.push(...(await coldScenario(alg, concurrency)));
});
await phase('mixed', async () => {
  for (const alg of ALGS) results.mixed.push(...(await mixedScenario(alg)));
});
await phase('http', async () => {
  for (const framework of Object.keys(HTTP_VARIANTS)) results.http.push(...(await httpScenario(framework)));
});
results.jwks.flood = await phase('jwks flood', floodScenario);
results.jwks.firstRequest = await phase('first request', firstRequestScenario);

for (const issuer of Object.values(issuers)) await issuer.close();

// ---------------------------------------------------------------------------------------
// Targets (issue 8)
// ---------------------------------------------------------------------------------------
const find = (rows, scenario, implementation) => rows.find((r) => r.scenario === scenario && r.implementation === implementation);
const targets = [];
const target = (name, goal, measured, pass) => targets.push({ name, goal, measured, pass });
for (const alg of ALGS) {
  const ours = find(results.hot, `hot ${alg}`, 'tenantgate');
  target(`hot ${alg}: throughput`, '>= 1,000,000 ops/s', `${Math.round(ours.opsPerSec).toLocaleString('en-US')} ops/s`, ours.opsPerSec >= 1e6);
  target(`hot ${alg}: vs fast-jwt (cache)`, '>= 2.5x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 2.5);
}
for (const alg of ALGS) {
  const ours = find(results.cold, `cold ${alg} c64`, 'tenantgate');
  target(`cold ${alg} c64: vs jose`, '>= 0.9x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 0.9);
}
for (const framework of Object.keys(HTTP_VARIANTS)) {
  const rows = results.http.filter((r) => r.scenario === `http ${framework}`);
  const ours = rows.find((r) => r.implementation === 'tenantgate');
  if (framework !== 'koa') {
    target(`http ${framework}: vs no auth`, '>= 0.9x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 0.9 && ours.valid);
  }
  const peers = rows.filter((r) => !['tenantgate', 'none', 'noop'].includes(r.implementation));
  const best = peers.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
  target(
    `http ${framework}: ahead of every peer`,
    `> best peer (${best.implementation})`,
    `${(ours.opsPerSec / best.opsPerSec).toFixed(2)}x ${best.implementation}`,
    peers.every((p) => ours.opsPerSec > p.opsPerSec) && ours.valid,
  );
}
target(
  `memory: heap growth after ${S.memoryTokens.toLocaleString('en-US')} tokens`,
  '< 64 MiB',
  `${results.memory.heapGrowthMiB.toFixed(1)} MiB`,
  results.memory.heapGrowthMiB < 64,
);
{
  for (const ours of results.jwks.flood.filter((r) => r.implementation.startsWith('tenantgate'))) {
    target(
      `jwks flood: ${ours.label}`,
      `<= 1 fetch per cooldown (${ours.allowedByCooldown} in ${ours.seconds.toFixed(1)} s)`,
      `${ours.jwksFetches} fetch(es), ${ours.stalled} stalled`,
      ours.jwksFetches <= ours.allowedByCooldown && ours.stalled === 0 && ours.sent === ours.requests,
    );
  }
  const first = results.jwks.firstRequest.find((r) => r.implementation === 'tenantgate');
  target('jwks: first request from cold (median)', '< 50 ms', `${first.medianMs.toFixed(1)} ms (max ${first.maxMs.toFixed(1)} ms)`, first.medianMs < 50);
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------
const cpus = os.cpus();
const output = {
  mode: QUICK ? 'quick' : 'full',
  date: new Date().toISOString(),
  durationS: Number(hr() - benchStarted) / 1e9,
  phasesS: phases,
  // Share of CPU time the hypervisor gave to other guests during each phase (Linux /proc/stat).
  stealShare: steal,
  machine: {
    os: `${os.type()} ${os.release()}`,
    platform: process.platform,
    arch: process.arch,
    cpus: { model: cpus[0]?.model, count: cpus.length },
    totalMemoryMiB: Math.round(MiB(os.totalmem())),
    loadAverage: os.loadavg(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
  },
  versions: Object.fromEntries(
    ['tenantgate', 'jose', 'fast-jwt', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', '@fastify/jwt', 'get-jwks', 'koa-jwt', 'autocannon', 'express', 'fastify', 'koa'].map(
      (name) => [name, versionOf(name)],
    ),
  ),
  settings: { ...S, zipfS: ZIPF_S, httpAlgorithm: HTTP_ALG },
  references: {
    hot: 'fast-jwt (cache): fast-jwt createVerifier with cache: true',
    cold: 'jose: bare jose jwtVerify with createRemoteJWKSet, same concurrency',
    mixed: 'fast-jwt (cache): fast-jwt createVerifier with cache: true; every implementation serves the same Zipf stream from an empty cache',
    http: 'none: the same app without auth',
  },
  scenarios: results,
  targets,
};
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(output, null, 2) + '\n');

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const detailOf = (r) => {
  if (r.serverCpuUsPerRequest !== undefined) return `server CPU ${r.serverCpuUsPerRequest.toFixed(1)} µs/request`;
  if (r.drawsDone !== undefined) {
    const least = Math.min(...r.drawsDone);
    return least < r.draws ? `time cap: ${fmt(least)} of ${fmt(r.draws)} requests` : '';
  }
  return '';
};
const table = [['scenario', 'implementation', 'ops/s', 'ratio', 'reference', 'detail']];
for (const r of [...results.hot, ...results.cold, ...results.mixed, ...results.http]) {
  table.push([
    r.scenario,
    r.label && r.scenario.startsWith('http') ? r.label : r.implementation,
    fmt(r.opsPerSec),
    r.ratio == null ? '' : `${r.ratio.toFixed(2)}x`,
    r.reference,
    detailOf(r),
  ]);
}
const widths = table[0].map((_, c) => Math.max(...table.map((r) => String(r[c]).length)));
const line = (r) =>
  r
    .map((cell, c) => (c === 2 || c === 3 ? String(cell).padStart(widths[c]) : String(cell).padEnd(widths[c])))
    .join('  ')
    .trimEnd();
console.log(`\ntenantgate benchmarks (${output.mode} mode) — ${output.machine.cpus.count} x ${output.machine.cpus.model}, Node ${output.machine.node}\n`);
console.log(line(table[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table.slice(1)) console.log(line(r));

const m = results.memory;
console.log(
  `\nmemory (tenantgate, default options, ${fmt(m.tokens)} distinct ${m.algorithm} tokens): heap ${m.heapUsedBeforeMiB.toFixed(1)} -> ${m.heapUsedAfterMiB.toFixed(1)} MiB (+${m.heapGrowthMiB.toFixed(1)}), RSS ${m.rssBeforeMiB.toFixed(1)} -> ${m.rssAfterMiB.toFixed(1)} MiB (+${m.rssGrowthMiB.toFixed(1)}), peak RSS ${m.peakRssMiB.toFixed(1)} MiB`,
);
console.log(`\nJWKS flood (${S.jwksFlood.toLocaleString('en-US')} random unknown kids spread over ${S.jwksWindowS} s, at most 64 in flight):`);
for (const r of results.jwks.flood) {
  console.log(
    `  ${r.label.padEnd(48)} ${String(r.jwksFetches).padStart(6)} JWKS fetches, ${String(r.discoveryFetches).padStart(5)} discovery; ${r.sent} sent, ${r.refused} refused, ${r.stalled} stalled, ${r.seconds.toFixed(1)} s`,
  );
}
console.log('first request from a cold start (fresh issuer on loopback each time):');
for (const r of results.jwks.firstRequest) {
  console.log(`  ${r.label.padEnd(56)} median ${r.medianMs.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms (${r.reps} reps)`);
}
console.log('\ntargets (issue 8):');
for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(48)} ${t.goal.padEnd(40)} measured ${t.measured}`);
{
  const stolen = Object.entries(steal).filter(([, share]) => share !== null);
  if (stolen.length > 0) {
    console.log(`\nCPU time stolen by the hypervisor (other guests on the host): ${stolen.map(([name, share]) => `${name} ${(100 * share).toFixed(1)}%`).join(', ')}`);
  }
}
if (QUICK) console.log(`\nquick mode: ${fmt(S.memoryTokens)} tokens in the memory scenario (1,000,000 in a full run), shorter windows, one round.`);
console.log(`\nwrote bench/results.json (${output.durationS.toFixed(0)} s)`);
// Peers may leave timers behind (jwks-rsa's rate limiter holds stalled requests).
process.exit(0);
