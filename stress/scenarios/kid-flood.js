// Tokens with random unknown kids at a high rate (each one distinct), mixed with legitimate
// traffic. Bounds: JWKS fetches at the issuer at most one per jwks.cooldown (+1), every
// unknown kid refused 401 key_not_found, every legitimate token accepted, latency bounded.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { latencyStats, formatMs, runScenario } from '../lib/scenario.js';
import { b64url } from '../lib/jwt.js';
import { AuthError, authOptions, bearer, createAuthenticator, createTestIssuer, SUBJECT } from '../lib/tenantgate.js';

const COOLDOWN_MS = 1000;
const DURATION_MS = { short: 6000, long: 30_000 };
const MAX_REQUESTS = { short: 300_000, long: 2_000_000 };
const IN_FLIGHT = 100;
/** One request in this many is a legitimate token. */
const LEGIT_EVERY = 20;
const MAX_LATENCY_MS = 1000;

runScenario('kid-flood', { short: 60_000, long: 120_000 }, async (ctx) => {
  const mode = ctx.long ? 'long' : 'short';
  const issuer = await createTestIssuer();
  ctx.defer(() => issuer.close());
  const auth = createAuthenticator(authOptions(issuer.url, issuer.audience, { jwks: { cooldown: `${COOLDOWN_MS}ms` } }));
  ctx.defer(() => auth.close());
  await auth.ready();

  const legit = [];
  for (let index = 0; index < 50; index += 1) legit.push(await issuer.sign({ sub: SUBJECT, jti: `legit-${index}` }, { expiresIn: '1h' }));
  // Unknown-kid tokens: well formed, the issuer's own `iss` and `aud`; the signature is never
  // reached (no key matches), so random bytes of an RS256 signature's length stand in for it.
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(JSON.stringify({ iss: issuer.url, aud: issuer.audience, sub: SUBJECT, iat: now, exp: now + 3600 }));
  const unknownKidToken = () => {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: randomBytes(12).toString('hex') }));
    return `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
  };

  issuer.resetRequests();
  const latencies = [];
  const codes = new Map();
  let legitSent = 0;
  let legitAccepted = 0;
  let floodSent = 0;
  let floodKeyNotFound = 0;
  let others = 0;
  const started = performance.now();
  while (performance.now() - started < DURATION_MS[mode] && floodSent + legitSent < MAX_REQUESTS[mode]) {
    const batch = [];
    for (let slot = 0; slot < IN_FLIGHT; slot += 1) {
      const isLegit = (floodSent + legitSent) % LEGIT_EVERY === 0;
      const token = isLegit ? legit[legitSent % legit.length] : unknownKidToken();
      if (isLegit) legitSent += 1;
      else floodSent += 1;
      const called = performance.now();
      batch.push(
        auth.authenticate({ authorization: bearer(token) }).then(
          () => {
            latencies.push(performance.now() - called);
            if (isLegit) legitAccepted += 1;
          },
          (error) => {
            latencies.push(performance.now() - called);
            const code = error instanceof AuthError ? `${error.status} ${error.code}` : `non-AuthError ${error?.name}`;
            codes.set(code, (codes.get(code) ?? 0) + 1);
            if (!(error instanceof AuthError)) others += 1;
            if (!isLegit && error instanceof AuthError && error.code === 'key_not_found') floodKeyNotFound += 1;
          },
        ),
      );
    }
    await Promise.all(batch);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = performance.now() - started;
  const fetches = { ...issuer.requests };
  const allowed = Math.floor(elapsed / COOLDOWN_MS) + 1;
  const stats = latencyStats(latencies);
  const status = auth.status().issuers[0];

  ctx.figure('duration', formatMs(elapsed));
  ctx.figure('unknown-kid requests', `${floodSent} (${Math.round(floodSent / (elapsed / 1000))}/s)`);
  ctx.figure('legitimate requests', legitSent);
  for (const [code, count] of codes) ctx.figure(`refused ${code}`, count);
  ctx.figure('JWKS fetches', `${fetches.jwks} (allowed ${allowed} at one per ${formatMs(COOLDOWN_MS)} + 1)`);
  ctx.figure('discovery fetches', fetches.discovery);
  ctx.figure('latency p50 / p99 / max', `${formatMs(stats.p50)} / ${formatMs(stats.p99)} / ${formatMs(stats.max)}`);

  ctx.check(`JWKS fetches <= one per cooldown + 1 (${allowed})`, fetches.jwks <= allowed, `${fetches.jwks} fetches`);
  ctx.check('the flood did fetch (the unknown kids were looked up)', fetches.jwks >= 1, `${fetches.jwks} fetches`);
  ctx.check('no discovery refetch', fetches.discovery === 0, `${fetches.discovery}`);
  ctx.check('every unknown kid refused 401 key_not_found', floodKeyNotFound === floodSent, `${floodSent - floodKeyNotFound} otherwise`);
  ctx.check('every legitimate token accepted', legitAccepted === legitSent, `${legitSent - legitAccepted} refused`);
  ctx.check('only AuthErrors', others === 0, `${others}`);
  ctx.check(`every request answered within ${formatMs(MAX_LATENCY_MS)}`, stats.max <= MAX_LATENCY_MS, formatMs(stats.max));
  ctx.check('keys intact afterwards', status.keys === issuer.kids.length && status.lastError === undefined, `keys ${status.keys}, lastError ${status.lastError ?? 'none'}`);
});
