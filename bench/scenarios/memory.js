// memory: heap and RSS growth after many distinct valid tokens through tenantgate with its
// default options. The runner runs it first, so that its RSS figures are not blurred by what
// the other scenarios allocated.
import { createAuthenticator } from 'tenantgate';

import { hr } from '../lib/clock.js';
import { issuers } from '../lib/issuers.js';
import { log } from '../lib/log.js';
import { AUDIENCE, POLICY, S, TENANT } from '../lib/settings.js';
import { MiB } from '../lib/stats.js';
import { signMany } from '../lib/tokens.js';

export async function memoryScenario() {
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
