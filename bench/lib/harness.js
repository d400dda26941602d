// The timing loops of the micro scenarios (hot, cold, mixed). They are kept as source text
// and evaluated once per implementation and algorithm, so that each gets its own compiled copy
// and V8's inline caches in the loop stay monomorphic for everyone: one shared loop calling five
// different verifiers goes megamorphic and taxes the fastest implementation the most.
const HARNESS_SOURCE = `({
  /** Calls verify(input) repeatedly for ms; a sync verifier in a plain loop, an async one awaited. */
  async runFor(verify, input, ms) {
    const hr = () => process.hrtime.bigint();
    const probe = verify(input);
    const isAsync = typeof probe?.then === 'function';
    if (isAsync) await probe;
    const BATCH = 64;
    let ops = 0;
    const start = hr();
    const end = start + BigInt(Math.round(ms * 1e6));
    let now = start;
    if (isAsync) {
      while (now < end) {
        for (let i = 0; i < BATCH; i += 1) await verify(input);
        ops += BATCH;
        now = hr();
      }
    } else {
      while (now < end) {
        for (let i = 0; i < BATCH; i += 1) verify(input);
        ops += BATCH;
        now = hr();
      }
    }
    return ops / (Number(now - start) / 1e9);
  },
  /** Verifies sequence[0], sequence[1], ... until count are done or capMs has passed. */
  async runSequence(verify, sequence, count, capMs) {
    const hr = () => process.hrtime.bigint();
    const BATCH = 64;
    const start = hr();
    // No cap: an end far beyond any run.
    const end = start + BigInt(Math.round(Math.min(capMs, 864e5) * 1e6));
    let now = start;
    const probe = verify(sequence[0]); // timed too: it is the stream's first request
    const isAsync = typeof probe?.then === 'function';
    if (isAsync) await probe;
    let i = 1;
    if (isAsync) {
      while (i < count && now < end) {
        const stop = Math.min(count, i + BATCH);
        for (; i < stop; i += 1) await verify(sequence[i]);
        now = hr();
      }
    } else {
      while (i < count && now < end) {
        const stop = Math.min(count, i + BATCH);
        for (; i < stop; i += 1) verify(sequence[i]);
        now = hr();
      }
    }
    now = hr();
    return { done: i, opsPerSec: i / (Number(now - start) / 1e9) };
  },
  /** Verifies every entry of list once with concurrency callers; returns ops/s. */
  async runTokens(verify, list, concurrency) {
    const hr = () => process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const result = verify(list[next++]);
        if (typeof result?.then === 'function') await result;
      }
    };
    const start = hr();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return list.length / (Number(hr() - start) / 1e9);
  },
})`;
const harnesses = new Map();
/** The timing loops compiled for one implementation and algorithm, the same copy every time. */
export function harness(name, alg) {
  const key = `${name}/${alg}`;
  if (!harnesses.has(key)) harnesses.set(key, (0, eval)(HARNESS_SOURCE));
  return harnesses.get(key);
}
