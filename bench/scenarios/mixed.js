// mixed: a stream of requests over 10k distinct tokens drawn from a Zipf distribution (a few
// tokens very often, most rarely), served from an empty cache, per algorithm. Reported relative
// to fast-jwt with its cache.
import { harness } from '../lib/harness.js';
import { IMPLEMENTATIONS, IMPL_NAMES } from '../lib/implementations.js';
import { S } from '../lib/settings.js';
import { median, row, withRatios } from '../lib/stats.js';
import { MIXED_RANKS, tokens } from '../lib/tokens.js';

export async function mixedScenario(alg) {
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
