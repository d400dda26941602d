// Profiles tenantgate's authenticate on one path, for `node --cpu-prof`:
//   node --cpu-prof --cpu-prof-dir=profiles profile.js hot RS256
//   node --cpu-prof --cpu-prof-dir=profiles profile.js cold RS256
//   PROFILE_TIMED_ONLY=1 node profile.js cold RS256 64    (profiles only the timed region)
//   PROFILE_TIMED_ONLY=1 PROFILE_IMPL=jose node profile.js cold RS256 64   (bare jose, same tokens)
//   PROFILE_MAX_ENTRIES=1 node profile.js cold RS256 64   (a token cache of one entry: the cost of caching)
//   PROFILE_ALLOC=1 PROFILE_COUNT=2000 node --expose-gc --min-semi-space-size=512 --max-semi-space-size=512 profile.js cold RS256 64
//                                                         (bytes allocated per operation; PROFILE_IMPL=jose too)
//   node profile.js summary profiles/<file>.cpuprofile [operations]
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { createAuthenticator } from 'tenantgate';
import { createTestIssuer } from 'tenantgate/testing';

const [mode = 'hot', alg = 'RS256', file] = process.argv.slice(2);

if (mode === 'summary') {
  // node profile.js summary <file.cpuprofile> [operations]: the top frames by self time, then
  // tenantgate / jose / lru-cache frames by inclusive time; per operation when given a count.
  const operations = Number(file ?? 0);
  const profile = JSON.parse(readFileSync(alg, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (id) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'tenantgate/dist/');
    return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const dt = profile.timeDeltas[index + 1] ?? 0;
    total += dt;
    const id = profile.samples[index];
    self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(at);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  }
  const show = (value) =>
    operations > 0 ? `${(value / operations).toFixed(2).padStart(8)} µs/op` : `${((100 * value) / total).toFixed(1).padStart(5)}%`;
  console.log(`${(total / 1e6).toFixed(2)} s profiled${operations > 0 ? `, ${(total / operations).toFixed(2)} µs per operation` : ''}\n\nself time:`);
  for (const [name, value] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${show(value)}  ${name}`);
  console.log('\ninclusive time (tenantgate, jose, lru-cache, re2):');
  for (const [name, value] of [...inclusive]
    .filter(([name]) => /tenantgate\/dist|jose\/dist\/webapi\/(jwt|util|jws)|lru-cache|re2/.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)) {
    console.log(`${show(value)}  ${name}`);
  }
  process.exit(0);
}

const issuer = await createTestIssuer({ algorithms: [alg], audience: 'metrics-api' });
const auth = createAuthenticator({
  issuerUrl: issuer.url,
  audience: 'metrics-api',
  algorithms: [alg],
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
  // PROFILE_MAX_ENTRIES=1 shows what keeping verified tokens costs a burst of new ones.
  ...(process.env.PROFILE_MAX_ENTRIES ? { cache: { maxEntries: Number(process.env.PROFILE_MAX_ENTRIES) } } : {}),
});
await auth.ready();
const hr = () => process.hrtime.bigint();
// Flat strings, as an HTTP parser produces (as in lib/tokens.js).
const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');

if (mode === 'hot') {
  // As in the hot scenario (lib/tokens.js), the header is built before timing (CONCAT=1 builds
  // it per call instead).
  const token = await issuer.sign({ sub: 'pref-1234567890-bench' }, { expiresIn: '1h' });
  const header = flat('Bearer tenant-1:' + token);
  const concat = process.env.CONCAT === '1';
  const run = async (ms) => {
    let ops = 0;
    const start = hr();
    const end = start + BigInt(ms * 1e6);
    while (hr() < end) {
      for (let i = 0; i < 64; i += 1) await auth.authenticate({ authorization: concat ? 'Bearer tenant-1:' + token : header });
      ops += 64;
    }
    return ops / (Number(hr() - start) / 1e9);
  };
  await run(500);
  const rate = await run(3000);
  console.log(`hot ${alg}: ${Math.round(rate)} ops/s (${Math.round(rate * 3)} operations timed, plus 0.5 s warm-up)`);
} else {
  const count = Number(process.env.PROFILE_COUNT ?? (alg === 'RS256' ? 6000 : 12000));
  const tokens = [];
  for (let i = 0; i < count; i += 256) {
    tokens.push(...(await Promise.all(Array.from({ length: Math.min(256, count - i) }, (_, j) => issuer.sign({ sub: 'pref-1234567890-bench', jti: `c${i + j}` }, { expiresIn: '1h' })))));
  }
  const headers = tokens.map((token) => flat('Bearer tenant-1:' + token));
  const flatTokens = tokens.map(flat);
  const concurrency = Number(file ?? 64);
  // PROFILE_IMPL=jose profiles bare jose jwtVerify + createRemoteJWKSet on the same tokens instead.
  const bareJose = process.env.PROFILE_IMPL === 'jose';
  let verify = (index) => auth.authenticate({ authorization: headers[index] });
  if (bareJose) {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
    const options = { issuer: issuer.url, audience: 'metrics-api', algorithms: [alg], requiredClaims: ['exp'] };
    await jwtVerify(await issuer.sign({ sub: 'x' }), jwks, options);
    verify = (index) => jwtVerify(flatTokens[index], jwks, options);
  }
  let next = 0;
  // Signing the tokens above is not what we want to see: with PROFILE_TIMED_ONLY=1 the
  // inspector profiles only the timed region (written next to --cpu-prof's files).
  const session = process.env.PROFILE_TIMED_ONLY ? new (await import('node:inspector')).Session() : undefined;
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  if (session) {
    session.connect();
    await post('Profiler.enable');
    // A sample every 50 µs: a cold operation lasts a few dozen, so the default 1 ms sees little.
    await post('Profiler.setSamplingInterval', { interval: 50 });
    await post('Profiler.start');
  }
  // PROFILE_ALLOC=1 (with --min-semi-space-size=512 --max-semi-space-size=512, so that no
  // collection runs) reports the bytes allocated per operation instead of profiling.
  const countAllocations = process.env.PROFILE_ALLOC === '1';
  let collections = 0;
  if (countAllocations) global.gc?.();
  const gcObserver = countAllocations ? new PerformanceObserver((list) => (collections += list.getEntries().length)) : undefined;
  gcObserver?.observe({ entryTypes: ['gc'] });
  const heapBefore = process.memoryUsage().heapUsed;
  const start = hr();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < headers.length) await verify(next++);
  }));
  if (countAllocations) {
    const perOperation = (process.memoryUsage().heapUsed - heapBefore) / tokens.length;
    gcObserver.disconnect();
    console.log(`allocated ${Math.round(perOperation)} bytes per operation${collections === 0 ? '' : ` (INVALID: ${collections} collections ran; raise --min-semi-space-size)`}`);
  }
  console.log(`cold ${alg} c${concurrency}${bareJose ? ' (bare jose)' : ''}: ${Math.round(tokens.length / (Number(hr() - start) / 1e9))} ops/s (${tokens.length} operations)`);
  if (session) {
    const { profile } = await post('Profiler.stop');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync('profiles', { recursive: true });
    writeFileSync(`profiles/cold-${alg}-c${concurrency}${bareJose ? '-jose' : ''}-timed.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}
await auth.close();
await issuer.close();
