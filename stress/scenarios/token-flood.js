// Distinct large tokens (valid signatures, headers just under 16 KiB) whose claims nest
// thousands of levels deep or spread thousands wide: parsed, they take far more heap than
// their bytes. Sent well past the token cache's bound, with full garbage collections between
// checkpoints. Bound: heap growth after GC <= cache.maxBytes + 32 MiB (rule 23), and after
// close() the growth is gone. Every token is accepted or refused with a 4xx AuthError.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { formatBytes, formatMs, latencyStats, runScenario, settledHeap } from '../lib/scenario.js';
import { AuthError, ConfigError, authOptions, bearer, createAuthenticator, createTestIssuer, SUBJECT } from '../lib/tenantgate.js';

const MIB = 1024 * 1024;
const MAX_BYTES = 16 * MIB;
const DEFAULT_MAX_BYTES = 64 * MIB;
const MARGIN = 32 * MIB;
const COUNT = { short: 2000, long: 10_000 };
const TIME_CAP_MS = { short: 100_000, long: 400_000 };
const CHECKPOINT_EVERY = 200;
const IN_FLIGHT = 20;
/** Payload JSON size: with an RS256 header and signature, the Authorization header stays under 16 KiB. */
const PAYLOAD_BYTES = 11_600;

const SHAPES = ['deep-arrays', 'deep-objects', 'wide-object', 'wide-array', 'many-small-objects'];

/** The JSON of a claim of `shape` taking about `bytes` bytes. */
function bulk(shape, bytes) {
  switch (shape) {
    case 'deep-arrays': {
      const depth = Math.floor(bytes / 2);
      return '['.repeat(depth) + ']'.repeat(depth);
    }
    case 'deep-objects': {
      const depth = Math.floor(bytes / 6);
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    }
    case 'wide-object': {
      const parts = [];
      for (let index = 0, size = 2; size < bytes; index += 1) {
        const part = `"k${index}":${index}`;
        parts.push(part);
        size += part.length + 1;
      }
      return `{${parts.join(',')}}`;
    }
    case 'wide-array': {
      const parts = [];
      for (let index = 0, size = 2; size < bytes; index += 1) {
        const part = `"s${index}"`;
        parts.push(part);
        size += part.length + 1;
      }
      return `[${parts.join(',')}]`;
    }
    default: {
      const count = Math.floor(bytes / 8);
      return `[${Array.from({ length: count }, () => '{"a":1}').join(',')}]`;
    }
  }
}

runScenario('token-flood', { short: 150_000, long: 500_000 }, async (ctx) => {
  const mode = ctx.long ? 'long' : 'short';
  const issuer = await createTestIssuer();
  ctx.defer(() => issuer.close());

  // cache.maxBytes is part of contract 0.2; an older build refuses the option.
  let auth;
  let bound = MAX_BYTES;
  // Cache events are counted only while probing which tokens are still cached.
  let onCacheHit;
  const base = authOptions(issuer.url, issuer.audience, {
    onEvent: (event) => {
      if (event.type === 'cache' && event.cache === 'token' && event.hit) onCacheHit?.();
    },
  });
  try {
    auth = createAuthenticator({ ...base, cache: { maxBytes: MAX_BYTES } });
    ctx.check('cache.maxBytes accepted', true);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    ctx.check('cache.maxBytes accepted', false, error.problems.join(' '));
    auth = createAuthenticator(base);
    bound = DEFAULT_MAX_BYTES;
  }
  let closed = false;
  ctx.defer(() => (closed ? undefined : auth.close()));
  await auth.ready();

  const now = Math.floor(Date.now() / 1000);
  const makeToken = (index) => {
    const shape = SHAPES[index % SHAPES.length];
    const head = `{"iss":${JSON.stringify(issuer.url)},"aud":${JSON.stringify(issuer.audience)},"sub":"${SUBJECT}","iat":${now},"exp":${now + 3600},"jti":"${randomBytes(8).toString('hex')}","bulk":`;
    return issuer.signPayload(`${head}${bulk(shape, PAYLOAD_BYTES - head.length - 1)}}`).then((token) => ({ shape, token }));
  };
  // Warm the code paths once, so that the baseline holds compiled code and pools.
  for (let index = 0; index < SHAPES.length; index += 1) {
    const { token } = await makeToken(index);
    await auth.authenticate({ authorization: bearer(token) }).catch(() => undefined);
  }
  const largest = await makeToken(0);
  ctx.figure('Authorization header size', `${bearer(largest.token).length} chars (limit 16384)`);

  const baseline = settledHeap();
  const total = COUNT[mode];
  const perShape = Object.fromEntries(SHAPES.map((shape) => [shape, { accepted: 0, refused: {} }]));
  const problems = { nonAuthError: 0, fiveHundred: 0 };
  const latencies = [];
  const checkpoints = [];
  let sent = 0;
  let maxGrowth = 0;
  let brokeAt;
  let timedOut = false;
  const recent = [];
  const started = performance.now();
  while (sent < total) {
    if (performance.now() - started > TIME_CAP_MS[mode]) {
      timedOut = true;
      break;
    }
    const batch = await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total - sent) }, (_, slot) => makeToken(sent + slot)));
    sent += batch.length;
    await Promise.all(
      batch.map(({ shape, token }) => {
        const called = performance.now();
        return auth.authenticate({ authorization: bearer(token) }).then(
          () => {
            latencies.push(performance.now() - called);
            perShape[shape].accepted += 1;
          },
          (error) => {
            latencies.push(performance.now() - called);
            if (!(error instanceof AuthError)) {
              problems.nonAuthError += 1;
              return;
            }
            if (error.status >= 500) problems.fiveHundred += 1;
            const key = `${error.status} ${error.code}`;
            perShape[shape].refused[key] = (perShape[shape].refused[key] ?? 0) + 1;
          },
        );
      }),
    );
    for (const item of batch) {
      recent.push(item.token);
      if (recent.length > 100) recent.shift();
    }
    if (sent % CHECKPOINT_EVERY === 0 || sent === total) {
      const growth = settledHeap() - baseline;
      maxGrowth = Math.max(maxGrowth, growth);
      checkpoints.push(`${sent}: ${formatBytes(growth)}`);
      if (growth > bound + MARGIN) {
        // Stop before the process runs out of memory: the bound is already broken.
        brokeAt = sent;
        break;
      }
    }
  }
  const elapsed = performance.now() - started;
  const finalGrowth = settledHeap() - baseline;

  // How many of the last 100 tokens are still cached (informative: a hit needs no verification).
  let hits = 0;
  onCacheHit = () => {
    hits += 1;
  };
  for (const token of recent) await auth.authenticate({ authorization: bearer(token) }).catch(() => undefined);
  onCacheHit = undefined;

  await auth.close();
  closed = true;
  recent.length = 0;
  const afterClose = settledHeap() - baseline;
  const stats = latencyStats(latencies);

  ctx.figure('tokens sent', `${sent} of ${total} in ${formatMs(elapsed)}`);
  for (const shape of SHAPES) {
    const { accepted, refused } = perShape[shape];
    const refusals = Object.entries(refused).map(([code, count]) => `${code} ×${count}`).join(', ');
    ctx.figure(`${shape}`, `accepted ${accepted}${refusals ? `; ${refusals}` : ''}`);
  }
  ctx.figure('cache bound used', `${formatBytes(bound)} (+ margin ${formatBytes(MARGIN)})`);
  ctx.figure('heap baseline', formatBytes(baseline));
  ctx.figure('heap growth after GC: max / final', `${formatBytes(maxGrowth)} / ${formatBytes(finalGrowth)}`);
  ctx.figure('heap growth after close()', formatBytes(afterClose));
  ctx.figure('checkpoints (tokens: growth)', checkpoints.join(', '));
  ctx.figure('last 100 tokens still cached', hits);
  ctx.figure('latency p50 / p99 / max', `${formatMs(stats.p50)} / ${formatMs(stats.p99)} / ${formatMs(stats.max)}`);

  ctx.check(
    `heap growth after GC <= cache bound + ${formatBytes(MARGIN)} (${formatBytes(bound + MARGIN)})`,
    maxGrowth <= bound + MARGIN && brokeAt === undefined,
    brokeAt === undefined ? `max ${formatBytes(maxGrowth)}` : `${formatBytes(maxGrowth)} after ${brokeAt} tokens; stopped there`,
  );
  ctx.check(`heap growth after close() <= ${formatBytes(MARGIN)}`, afterClose <= MARGIN, formatBytes(afterClose));
  ctx.check(`all ${total} tokens within ${formatMs(TIME_CAP_MS[mode])}`, !timedOut && (sent === total || brokeAt !== undefined), `${sent} in ${formatMs(elapsed)}`);
  ctx.check('every refusal an AuthError below 500', problems.nonAuthError === 0 && problems.fiveHundred === 0, `${problems.nonAuthError} non-AuthError, ${problems.fiveHundred} 5xx`);
});
