// hot: one token verified over and over, per algorithm. Every implementation is warmed up
// first, then timed windows are interleaved round by round; the median window is reported,
// relative to fast-jwt with its cache.
import { harness } from '../lib/harness.js';
import { IMPLEMENTATIONS, IMPL_NAMES } from '../lib/implementations.js';
import { S } from '../lib/settings.js';
import { median, row, withRatios } from '../lib/stats.js';
import { tokens } from '../lib/tokens.js';

export async function hotScenario(alg) {
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
