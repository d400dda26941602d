// cold: every token distinct, per algorithm and concurrency (1 and 64): what a verifier costs
// when nothing is cached. Reported relative to bare jose at the same concurrency.
import { harness } from '../lib/harness.js';
import { IMPLEMENTATIONS, IMPL_NAMES } from '../lib/implementations.js';
import { S } from '../lib/settings.js';
import { median, row, withRatios } from '../lib/stats.js';
import { tokens } from '../lib/tokens.js';

export async function coldScenario(alg, concurrency) {
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
