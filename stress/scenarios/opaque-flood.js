// A flood of made-up opaque tokens against an authenticator that introspects (RFC 7662), first
// with the introspection endpoint hanging, then answering. Bounds: the endpoint never has more
// than 64 calls open at once, every made-up token is refused (503 while it hangs, 401 when it
// answers) within two timeouts, one bad token repeated costs one call, a legitimate opaque token
// is still accepted, only AuthErrors, and the heap after GC stays bounded.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { latencyStats, formatMs, runScenario } from '../lib/scenario.js';
import { AuthError, authOptions, bearer, createAuthenticator, createTestIssuer, SUBJECT } from '../lib/tenantgate.js';

const TIMEOUT_MS = 500;
const TOKENS = { short: 5_000, long: 50_000 };
/** Requests in flight: beyond 64 calls and 1,024 waiting while it hangs, within them while it answers. */
const IN_FLIGHT = { hanging: 2_000, answering: 200 };
const MAX_OPEN_CALLS = 64;
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

runScenario('opaque-flood', { short: 90_000, long: 300_000 }, async (ctx) => {
  const mode = ctx.long ? 'long' : 'short';
  const issuer = await createTestIssuer();
  ctx.defer(() => issuer.close());

  // In front of the issuer's own endpoint: counts open calls, hangs while `hanging`, then
// answers made-up tokens inactive itself and passes the legitimate one to the issuer.
  let hanging = true;
  let open = 0;
  let mostOpen = 0;
  let calls = 0;
  const legitimate = new Set();
  const gate = createServer((request, response) => {
    calls += 1;
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    response.once('close', () => {
      open -= 1;
    });
    if (hanging) return;
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      if (!legitimate.has(form.get('token'))) {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}');
        return;
      }
      fetch(issuer.introspectionEndpoint, { method: 'POST', headers: { authorization: request.headers.authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.concat(chunks) })
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise((resolve) => gate.listen(0, '127.0.0.1', resolve));
  ctx.defer(() => {
    gate.closeAllConnections();
    return new Promise((resolve) => gate.close(resolve));
  });
  const endpoint = `http://127.0.0.1:${gate.address().port}/introspect`;
  const auth = createAuthenticator(
    authOptions(issuer.url, issuer.audience, { jwks: { timeout: `${TIMEOUT_MS}ms` }, introspection: { ...issuer.introspectionClient, endpoint } }),
  );
  ctx.defer(() => auth.close());
  await auth.ready();
  global.gc();
  const heapBefore = process.memoryUsage().heapUsed;

  let others = 0;
  const flood = async (count, inFlight, expected) => {
    const latencies = [];
    let refusedAsExpected = 0;
    for (let sent = 0; sent < count; sent += inFlight) {
      const batch = [];
      for (let slot = 0; slot < Math.min(inFlight, count - sent); slot += 1) {
        const called = performance.now();
        batch.push(
          auth.authenticate({ authorization: bearer(randomBytes(24).toString('base64url')) }).then(
            () => latencies.push(performance.now() - called),
            (error) => {
              latencies.push(performance.now() - called);
              if (!(error instanceof AuthError)) others += 1;
              else if (`${error.status} ${error.code}` === expected) refusedAsExpected += 1;
            },
          ),
        );
      }
      await Promise.all(batch);
    }
    return { latencies, refusedAsExpected };
  };

  const hung = await flood(TOKENS[mode], IN_FLIGHT.hanging, '503 issuer_unavailable');
  const hungStats = latencyStats(hung.latencies);
  const mostOpenWhileHanging = mostOpen;
  hanging = false;
  mostOpen = 0;
  const answered = await flood(TOKENS[mode], IN_FLIGHT.answering, '401 invalid_token');
  const answeredStats = latencyStats(answered.latencies);

  const callsBefore = calls;
  const repeated = randomBytes(24).toString('base64url');
  for (let attempt = 0; attempt < 1_000; attempt += 1) await auth.authenticate({ authorization: bearer(repeated) }).catch(() => undefined);
  const repeatCalls = calls - callsBefore;
  const token = await issuer.issueOpaqueToken({ sub: SUBJECT });
  legitimate.add(token);
  const accepted = await auth.authenticate({ authorization: bearer(token) }).then(() => true, () => false);
  global.gc();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

  ctx.figure('made-up tokens while the endpoint hangs', `${TOKENS[mode]}, ${hung.refusedAsExpected} refused 503`);
  ctx.figure('  latency p50 / p99 / max', `${formatMs(hungStats.p50)} / ${formatMs(hungStats.p99)} / ${formatMs(hungStats.max)}`);
  ctx.figure('made-up tokens while it answers', `${TOKENS[mode]}, ${answered.refusedAsExpected} refused 401`);
  ctx.figure('  latency p50 / p99 / max', `${formatMs(answeredStats.p50)} / ${formatMs(answeredStats.p99)} / ${formatMs(answeredStats.max)}`);
  ctx.figure('calls to the endpoint', `${calls}; open at once at most ${mostOpenWhileHanging} while it hangs, ${mostOpen} while it answers`);
  ctx.figure('one bad token sent 1,000 times', `${repeatCalls} call(s)`);
  ctx.figure('heap growth after GC', `${(heapGrowth / 1024 / 1024).toFixed(1)} MiB`);

  ctx.check(`at most ${MAX_OPEN_CALLS} calls open at once while it answers`, mostOpen <= MAX_OPEN_CALLS && mostOpen > 0, `${mostOpen}`);
  // An aborted call's socket closes at the server a moment after its slot went to the next one.
  ctx.check(`at most ${2 * MAX_OPEN_CALLS} calls open at once while it hangs`, mostOpenWhileHanging <= 2 * MAX_OPEN_CALLS && mostOpenWhileHanging > 0, `${mostOpenWhileHanging}`);
  ctx.check('every made-up token refused 503 while the endpoint hangs', hung.refusedAsExpected === TOKENS[mode], `${TOKENS[mode] - hung.refusedAsExpected} otherwise`);
  ctx.check(`answered within two timeouts (${formatMs(2 * TIMEOUT_MS)}) plus 500 ms`, hungStats.max <= 2 * TIMEOUT_MS + 500, formatMs(hungStats.max));
  ctx.check('every made-up token refused 401 once it answers', answered.refusedAsExpected === TOKENS[mode], `${TOKENS[mode] - answered.refusedAsExpected} otherwise`);
  ctx.check('one bad token repeated costs one call', repeatCalls === 1, `${repeatCalls}`);
  ctx.check('a legitimate opaque token is still accepted', accepted);
  ctx.check('only AuthErrors', others === 0, `${others}`);
  ctx.check('heap growth after GC under 64 MiB', heapGrowth < MAX_HEAP_GROWTH_BYTES, `${(heapGrowth / 1024 / 1024).toFixed(1)} MiB`);
});
