// 100 requests at once while the issuer hangs (or drips): they must share one fetch per
// endpoint (single-flight), all settle within 2 × timeout + 1 s with 503/401, and a second
// wave right after must cause no new fetch at all (a failed fetch backs off; rule 5).
import { makeHostileKeys } from '../hostile-issuer.js';
import { describeCodes, hostileCase, refusedProperly, tidyText } from '../lib/hostile-case.js';
import { formatMs, runScenario } from '../lib/scenario.js';

const TIMEOUT_MS = 200;
const CONCURRENT = 100;

runScenario('hostile-issuer-concurrent', { short: 60_000, long: 200_000 }, async (ctx) => {
  const keys = makeHostileKeys();
  const cases = [{ discovery: 'hang' }, { jwks: 'hang' }, { discovery: 'drip' }, { jwks: 'drip' }];
  if (ctx.long) cases.push({ discovery: 'drip-head' }, { jwks: 'drip-head' }, { jwks: 'endless' });
  const rounds = ctx.long ? 3 : 1;
  for (let round = 1; round <= rounds; round += 1) {
    for (const modes of cases) {
      const [endpoint, mode] = Object.entries(modes)[0];
      const label = rounds > 1 ? `${endpoint}:${mode} (round ${round})` : `${endpoint}:${mode}`;
      const record = await hostileCase({
        keys,
        modes,
        timeout: `${TIMEOUT_MS}ms`,
        timeoutMs: TIMEOUT_MS,
        waves: [CONCURRENT, CONCURRENT],
      });
      const [first, second] = record.waves;
      ctx.figure(
        `${label}, wave 1`,
        `${describeCodes(first)}; slowest ${formatMs(first.maxMs)}; fetches d${first.discovery}/j${first.jwks}`,
      );
      ctx.figure(
        `${label}, wave 2`,
        `${describeCodes(second)}; slowest ${formatMs(second.maxMs)}; fetches d${second.discovery}/j${second.jwks}`,
      );
      const expectJwks = endpoint === 'jwks' ? 1 : 0;
      ctx.check(`${label}: wave 1 shares one fetch`, first.discovery === 1 && first.jwks === expectJwks, `discovery ${first.discovery}, jwks ${first.jwks}`);
      ctx.check(`${label}: wave 1 all refused 503/401`, refusedProperly(first), describeCodes(first));
      ctx.check(`${label}: wave 1 all settled within ${formatMs(record.boundMs)}`, first.hung === 0 && first.maxMs <= record.boundMs, formatMs(first.maxMs));
      ctx.check(`${label}: wave 2 causes no fetch (backoff)`, second.discovery === 0 && second.jwks === 0, `discovery ${second.discovery}, jwks ${second.jwks}`);
      ctx.check(`${label}: wave 2 all refused 503/401`, refusedProperly(second), describeCodes(second));
      // Nothing to wait for: a refusal during the backoff is immediate.
      ctx.check(`${label}: wave 2 settled within ${formatMs(TIMEOUT_MS)}`, second.hung === 0 && second.maxMs <= TIMEOUT_MS, formatMs(second.maxMs));
      ctx.check(`${label}: lastError short`, tidyText(record.status?.lastError), String(record.status?.lastError?.length ?? 'not set'));
      ctx.check(`${label}: hostile connection dropped by the library`, record.heldClosed, 'still held 1 s after the refusals');
    }
  }
});
