// The IdP goes down (500s) and, in a second run, hangs, once the authenticator is warm and
// with jwks.maxAge short so that a refresh is due all the time. Bounds: new tokens signed by
// a known key keep verifying without waiting (stale-if-error, rule 7), a jwks_stale event
// fires, status() shows a short lastError, a token with an unknown kid is refused 503/401
// within 2 × timeout + 1 s (one refresh: discovery, then the JWKS), fetches back off (one
// attempt per cooldown), the authenticator recovers once the IdP is back; and keys older than
// maxAge + maxStale are refused (503).
import { performance } from 'node:perf_hooks';
import { tidyText } from '../lib/hostile-case.js';
import { collectGarbageWhilePending, formatMs, latencyStats, runScenario, settleWithin } from '../lib/scenario.js';
import { AuthError, authOptions, bearer, createAuthenticator, createTestIssuer, SUBJECT } from '../lib/tenantgate.js';

const MAX_AGE_MS = 300;
const TIMEOUT_MS = 500;
const COOLDOWN_MS = 500;
const OUTAGE_MS = { short: 3000, long: 15_000 };
const UNKNOWN_KID_EVERY_MS = 400;
const BATCH = 20;
/** Known-kid tokens sent at most per run (the loop is bounded in count as well as time). */
const MAX_KNOWN = 400_000;
/**
 * An unknown kid waits for one refresh (its own, or one already in flight); with maxAge past,
 * a refresh fetches discovery and then the JWKS. A second refresh follows a joined one only
 * when the joined one succeeded, which it cannot while the IdP is down or hanging.
 */
const SEQUENTIAL_FETCHES = 2;
const BOUND_MS = TIMEOUT_MS * SEQUENTIAL_FETCHES + 1000;

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

runScenario('outage', { short: 90_000, long: 200_000 }, async (ctx) => {
  for (const failure of ['down', 'hang']) await outageRun(ctx, failure);
  await staleLimitRun(ctx);
});

async function outageRun(ctx, failure) {
  const issuer = await createTestIssuer();
  const events = { stale: 0, refreshFailed: 0, refreshOk: 0 };
  const auth = createAuthenticator(
    authOptions(issuer.url, issuer.audience, {
      jwks: { maxAge: `${MAX_AGE_MS}ms`, timeout: `${TIMEOUT_MS}ms`, cooldown: `${COOLDOWN_MS}ms` },
      onEvent: (event) => {
        if (event.type === 'jwks_stale') events.stale += 1;
        if (event.type === 'jwks_refresh') events[event.ok ? 'refreshOk' : 'refreshFailed'] += 1;
      },
    }),
  );
  try {
    const knownKid = issuer.kids[0];
    const sign = () => issuer.sign({ sub: SUBJECT }, { kid: knownKid });
    await auth.ready();
    for (let index = 0; index < BATCH; index += 1) await auth.authenticate({ authorization: bearer(await sign()) });

    issuer.fail(failure);
    // A key the authenticator has never seen, published while the IdP fails.
    const newKid = await issuer.rotate();
    const unknownKidToken = () => issuer.sign({ sub: SUBJECT }, { kid: newKid });
    // maxAge must pass for a refresh to be due: only the clock can say so.
    await wait(MAX_AGE_MS + 50);
    issuer.resetRequests();

    const known = { sent: 0, accepted: 0, refused: {}, latencies: [] };
    const unknown = { sent: 0, refused: {}, accepted: 0, hung: 0, latencies: [], others: 0 };
    const outageFor = OUTAGE_MS[ctx.long ? 'long' : 'short'];
    const started = performance.now();
    const during = () => performance.now() - started < outageFor && known.sent < MAX_KNOWN;
    // Two tracks at once: batches of fresh known-kid tokens, and every 400 ms one token with
    // the unknown kid (each waited for, garbage collected while it waits).
    const knownTrack = async () => {
      while (during()) {
        const tokens = await Promise.all(Array.from({ length: BATCH }, sign));
        await Promise.all(
          tokens.map((token) => {
            const called = performance.now();
            known.sent += 1;
            return auth.authenticate({ authorization: bearer(token) }).then(
              () => {
                known.accepted += 1;
                known.latencies.push(performance.now() - called);
              },
              (error) => {
                known.latencies.push(performance.now() - called);
                const code = error instanceof AuthError ? `${error.status} ${error.code}` : `non-AuthError ${error?.name}`;
                known.refused[code] = (known.refused[code] ?? 0) + 1;
              },
            );
          }),
        );
      }
    };
    const unknownTrack = async () => {
      while (during()) {
        const pending = auth.authenticate({ authorization: bearer(await unknownKidToken()) });
        unknown.sent += 1;
        const gc = collectGarbageWhilePending(pending);
        const outcome = await settleWithin(pending, BOUND_MS + 2000);
        gc.stop();
        unknown.latencies.push(outcome.ms);
        if (!outcome.settled) unknown.hung += 1;
        else if (outcome.ok) unknown.accepted += 1;
        else if (!(outcome.error instanceof AuthError)) unknown.others += 1;
        else {
          const code = `${outcome.error.status} ${outcome.error.code}`;
          unknown.refused[code] = (unknown.refused[code] ?? 0) + 1;
        }
        if (during()) await wait(UNKNOWN_KID_EVERY_MS);
      }
    };
    await Promise.all([knownTrack(), unknownTrack()]);
    const outageMs = performance.now() - started;
    const requests = { ...issuer.requests };
    const fetches = requests.discovery + requests.jwks;
    const allowedFetches = 2 * (Math.floor(outageMs / COOLDOWN_MS) + 1);
    const status = auth.status().issuers[0];

    // Recovery: the IdP answers again; the new key must be found after at most a cooldown
    // (plus a refresh still hanging from the outage, plus the fetch itself).
    issuer.fail(null);
    const recovering = performance.now();
    let recovered = false;
    let recoveryTries = 0;
    while (!recovered && performance.now() - recovering < COOLDOWN_MS + TIMEOUT_MS + 3000) {
      recoveryTries += 1;
      const outcome = await settleWithin(auth.authenticate({ authorization: bearer(await unknownKidToken()) }), BOUND_MS);
      recovered = outcome.settled && outcome.ok;
      if (!recovered) await wait(COOLDOWN_MS / 2);
    }
    const recoveryMs = performance.now() - recovering;
    const after = auth.status().issuers[0];

    const knownStats = latencyStats(known.latencies);
    const unknownStats = latencyStats(unknown.latencies);
    const describe = (record) =>
      [
        record.accepted ? `accepted ×${record.accepted}` : '',
        ...Object.entries(record.refused).map(([code, count]) => `${code} ×${count}`),
        record.hung ? `HUNG ×${record.hung}` : '',
        record.others ? `non-AuthError ×${record.others}` : '',
      ]
        .filter(Boolean)
        .join(', ');
    const tag = `IdP ${failure}`;
    ctx.figure(`${tag}: outage`, formatMs(outageMs));
    ctx.figure(`${tag}: known-kid tokens`, `${describe(known)}; latency p99 ${formatMs(knownStats.p99)}, max ${formatMs(knownStats.max)}`);
    ctx.figure(`${tag}: unknown-kid tokens`, `${describe(unknown)}; latency max ${formatMs(unknownStats.max)}`);
    ctx.figure(`${tag}: fetches during outage`, `${fetches} (discovery ${requests.discovery}, jwks ${requests.jwks}; allowed ${allowedFetches})`);
    ctx.figure(`${tag}: events`, `jwks_stale ×${events.stale}, failed refreshes ×${events.refreshFailed}`);
    ctx.figure(`${tag}: status during outage`, `ready ${status.ready}, stale ${status.stale}, keys ${status.keys}, lastError ${status.lastError?.length ?? 'unset'} chars`);
    ctx.figure(`${tag}: recovery`, `${recovered ? 'new key accepted' : 'NOT recovered'} after ${formatMs(recoveryMs)} (${recoveryTries} tries)`);

    ctx.check(`${tag}: every known-kid token accepted (stale-if-error)`, known.accepted === known.sent && known.sent > 0, `${known.sent - known.accepted} of ${known.sent} refused`);
    ctx.check(`${tag}: known-kid tokens never wait for the IdP (< ${formatMs(TIMEOUT_MS)})`, knownStats.max < TIMEOUT_MS, formatMs(knownStats.max));
    ctx.check(`${tag}: jwks_stale event fired`, events.stale > 0, `${events.stale}`);
    ctx.check(`${tag}: lastError set, short, one line`, tidyText(status.lastError), status.lastError === undefined ? 'not set' : `${status.lastError.length} chars`);
    ctx.check(`${tag}: status() stale but ready`, status.stale === true && status.ready === true && status.keys > 0, `stale ${status.stale}, ready ${status.ready}, keys ${status.keys}`);
    const unknownOk = unknown.hung === 0 && unknown.accepted === 0 && unknown.others === 0 && Object.keys(unknown.refused).every((code) => /^(503|401) /.test(code));
    ctx.check(`${tag}: unknown kid refused 503/401`, unknownOk && unknown.sent > 0, describe(unknown));
    ctx.check(`${tag}: unknown kid refused within ${formatMs(BOUND_MS)}`, unknownStats.max <= BOUND_MS, formatMs(unknownStats.max));
    ctx.check(`${tag}: fetches back off (<= ${allowedFetches})`, fetches <= allowedFetches, `${fetches}`);
    ctx.check(`${tag}: recovers once the IdP is back`, recovered, `${formatMs(recoveryMs)}`);
    ctx.check(`${tag}: lastError cleared after recovery`, after.lastError === undefined && after.stale === false, `lastError ${after.lastError === undefined ? 'cleared' : 'still set'}, stale ${after.stale}`);
  } finally {
    await auth.close();
    await issuer.close();
  }
}

/** Keys older than maxAge + maxStale are no longer relied on: fresh and cached tokens get 503. */
async function staleLimitRun(ctx) {
  const maxStaleMs = 1000;
  const issuer = await createTestIssuer();
  const auth = createAuthenticator(
    authOptions(issuer.url, issuer.audience, {
      jwks: { maxAge: `${MAX_AGE_MS}ms`, maxStale: `${maxStaleMs}ms`, timeout: `${TIMEOUT_MS}ms`, cooldown: `${COOLDOWN_MS}ms` },
    }),
  );
  try {
    const cached = await issuer.sign({ sub: SUBJECT });
    await auth.authenticate({ authorization: bearer(cached) });
    issuer.fail('down');
    // Only the clock can carry the keys past maxAge + maxStale.
    await wait(MAX_AGE_MS + maxStaleMs + 100);
    const outcomes = [];
    for (const token of [cached, await issuer.sign({ sub: SUBJECT })]) {
      const outcome = await settleWithin(auth.authenticate({ authorization: bearer(token) }), BOUND_MS + 2000);
      outcomes.push(outcome);
    }
    const text = (outcome) =>
      !outcome.settled ? 'HUNG' : outcome.ok ? 'accepted' : outcome.error instanceof AuthError ? `${outcome.error.status} ${outcome.error.code}` : 'non-AuthError';
    const [old, fresh] = outcomes;
    ctx.figure('past maxStale', `cached token: ${text(old)} in ${formatMs(old.ms)}; new token: ${text(fresh)} in ${formatMs(fresh.ms)}`);
    ctx.check('past maxAge + maxStale: cached token refused 503', text(old).startsWith('503 '), text(old));
    ctx.check('past maxAge + maxStale: new token refused 503', text(fresh).startsWith('503 '), text(fresh));
    ctx.check(`past maxAge + maxStale: refused within ${formatMs(BOUND_MS)}`, Math.max(old.ms, fresh.ms) <= BOUND_MS, formatMs(Math.max(old.ms, fresh.ms)));
  } finally {
    await auth.close();
    await issuer.close();
  }
}
