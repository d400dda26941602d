// Key rotation under load: each round the issuer publishes a new key, then 1,000 requests go
// out at once, each with a fresh token, half signed with the previous key, half with the new
// one (an unknown kid: it triggers one refetch, rule 6). The previous key is then retired.
// Bounds: zero false 401s for tokens whose key is published, at most 2 JWKS fetches per round,
// and once a refetch has dropped a retired key its tokens (cached ones too) are refused
// (rule 8).
import { performance } from 'node:perf_hooks';
import { formatMs, latencyStats, runScenario, settleWithin } from '../lib/scenario.js';
import { AuthError, authOptions, bearer, createAuthenticator, createTestIssuer, SUBJECT } from '../lib/tenantgate.js';

const COOLDOWN_MS = 500;
const IN_FLIGHT = 1000;
const ROUNDS = { short: 3, long: 15 };
const RETIRED_SAMPLE = 10;
const MAX_LATENCY_MS = 5000;
/** A round still unanswered after this is a hang. */
const ROUND_DEADLINE_MS = 30_000;

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

runScenario('rotation', { short: 90_000, long: 300_000 }, async (ctx) => {
  const issuer = await createTestIssuer();
  ctx.defer(() => issuer.close());
  const auth = createAuthenticator(authOptions(issuer.url, issuer.audience, { jwks: { cooldown: `${COOLDOWN_MS}ms` } }));
  ctx.defer(() => auth.close());
  await auth.ready();

  const rounds = ROUNDS[ctx.long ? 'long' : 'short'];
  const latencies = [];
  let falseRefusals = 0;
  let requests = 0;
  let maxFetches = 0;
  let retiredAccepted = 0;
  let retiredChecked = 0;
  const refusalCodes = {};
  // Tokens of the key retired in the previous round: some already verified (cached), some never sent.
  let retired;
  for (let round = 1; round <= rounds; round += 1) {
    // The refetch an unknown kid triggers is allowed once per cooldown: let it pass.
    await wait(COOLDOWN_MS + 50);
    const oldKid = issuer.kids.at(-1);
    const newKid = await issuer.rotate();
    const tokens = await Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, index) => issuer.sign({ sub: SUBJECT, jti: `r${round}-${index}` }, { kid: index % 2 === 0 ? oldKid : newKid })),
    );
    const unsent = await Promise.all(Array.from({ length: RETIRED_SAMPLE }, (_, index) => issuer.sign({ sub: SUBJECT, jti: `r${round}-unsent-${index}` }, { kid: oldKid })));
    const fetchesBefore = issuer.requests.jwks;
    const started = performance.now();
    const round$ = Promise.all(
      tokens.map((token) =>
        auth.authenticate({ authorization: bearer(token) }).then(
          () => {
            latencies.push(performance.now() - started);
            return undefined;
          },
          (error) => {
            latencies.push(performance.now() - started);
            return error instanceof AuthError ? `${error.status} ${error.code}` : `non-AuthError ${error?.name}`;
          },
        ),
      ),
    );
    const answered = await settleWithin(round$, ROUND_DEADLINE_MS);
    if (!ctx.check(`round ${round} answered within ${formatMs(ROUND_DEADLINE_MS)}`, answered.settled, 'hung')) break;
    const outcomes = answered.value;
    const roundMs = performance.now() - started;
    const fetches = issuer.requests.jwks - fetchesBefore;
    maxFetches = Math.max(maxFetches, fetches);
    requests += tokens.length;
    const refused = outcomes.filter((outcome) => outcome !== undefined);
    falseRefusals += refused.length;
    for (const code of refused) refusalCodes[code] = (refusalCodes[code] ?? 0) + 1;

    // This round's refetch dropped the key retired last round: its tokens must now be refused.
    if (retired !== undefined) {
      for (const token of [...retired.cached, ...retired.unsent]) {
        retiredChecked += 1;
        await auth.authenticate({ authorization: bearer(token) }).then(
          () => {
            retiredAccepted += 1;
          },
          () => undefined,
        );
      }
    }
    issuer.removeKey(oldKid);
    retired = { cached: tokens.filter((_, index) => index % 2 === 0).slice(0, RETIRED_SAMPLE), unsent };
    ctx.log(`round ${round}: ${refused.length} refused, ${fetches} JWKS fetch(es), ${formatMs(roundMs)}`);
  }
  const stats = latencyStats(latencies);
  ctx.figure('rounds × requests in flight', `${rounds} × ${IN_FLIGHT} (half old key, half new key)`);
  ctx.figure('false refusals', `${falseRefusals} of ${requests}${falseRefusals ? ` (${Object.entries(refusalCodes).map(([code, count]) => `${code} ×${count}`).join(', ')})` : ''}`);
  ctx.figure('JWKS fetches per round (max)', maxFetches);
  ctx.figure('JWKS fetches total', issuer.requests.jwks);
  ctx.figure('latency in a round p50 / p99 / max', `${formatMs(stats.p50)} / ${formatMs(stats.p99)} / ${formatMs(stats.max)}`);
  ctx.figure('retired-key tokens accepted after the refetch', `${retiredAccepted} of ${retiredChecked}`);

  ctx.check('zero false 401s for tokens whose key is published', falseRefusals === 0, `${falseRefusals} refused`);
  ctx.check('at most 2 JWKS fetches per rotation', maxFetches <= 2, `max ${maxFetches}`);
  ctx.check('every rotation did refetch', issuer.requests.jwks >= rounds + 1, `${issuer.requests.jwks} fetches for ${rounds} rotations`);
  ctx.check('retired key refused once dropped (cached tokens too)', retiredAccepted === 0 && retiredChecked > 0, `${retiredAccepted} accepted`);
  ctx.check(`every request answered within ${formatMs(MAX_LATENCY_MS)}`, stats.max <= MAX_LATENCY_MS, formatMs(stats.max));
});
