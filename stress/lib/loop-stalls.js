// Event-loop stalls of this thread, and what else filled them. On a machine short of CPU a
// stall can be mostly waiting to be scheduled (a scavenge was seen to take 200+ ms with a
// 4 MiB heap, trivial calls 100+ ms). Two witnesses tell that apart from code blocking the
// loop: garbage-collection pauses (PerformanceObserver), and a worker thread ticking on its
// own event loop: when the worker stalled at the same time, the whole process was waiting
// for a CPU. What remains is blocking by this thread's code, CPU-bound or synchronous I/O.
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const WITNESS_SLOTS = 4096;

/** Ticks every `intervalMs` and writes each late tick's [start, end] (epoch ms) to `shared`. */
const WITNESS_SOURCE = `
const { workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { shared, intervalMs, lateMs, slots } = workerData;
const count = new Int32Array(shared, 0, 1);
const spans = new Float64Array(shared, 8, slots * 2);
const now = () => performance.timeOrigin + performance.now();
let last = now();
const timer = setInterval(() => {
  const at = now();
  if (at - last - intervalMs > lateMs) {
    const index = Atomics.load(count, 0) % slots;
    spans[index * 2] = last;
    spans[index * 2 + 1] = at;
    Atomics.add(count, 0, 1);
  }
  last = at;
}, intervalMs);
`;

export function watchLoopStalls({ thresholdMs = 100, intervalMs = 10 } = {}) {
  const epoch = () => performance.timeOrigin + performance.now();
  const pauses = [];
  const observer = new PerformanceObserver((list) => collect(list.getEntries()));
  const collect = (entries) => {
    for (const entry of entries) {
      const start = performance.timeOrigin + entry.startTime;
      pauses.push([start, start + entry.duration]);
    }
  };
  observer.observe({ entryTypes: ['gc'] });
  const shared = new SharedArrayBuffer(8 + WITNESS_SLOTS * 16);
  const witness = new Worker(WITNESS_SOURCE, {
    eval: true,
    workerData: { shared, intervalMs: 5, lateMs: 20, slots: WITNESS_SLOTS },
  });
  witness.unref();
  const stalls = [];
  let last = epoch();
  const timer = setInterval(() => {
    const now = epoch();
    if (now - last - intervalMs > thresholdMs) stalls.push([last, now]);
    last = now;
  }, intervalMs);

  const overlap = (spans, start, end) => {
    let total = 0;
    for (const [from, to] of spans) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
    return total;
  };

  return {
    /**
     * Stops watching. Returns the number of stalls over the threshold, the longest and total
     * GC pause, the longest stall outside GC, and `longestBlockingMs`: the longest stall less
     * its GC pauses and the time the witness thread was stalled too (the figure to bound).
     */
    async stop() {
      clearInterval(timer);
      collect(observer.takeRecords());
      observer.disconnect();
      await witness.terminate();
      const count = Math.min(Atomics.load(new Int32Array(shared, 0, 1), 0), WITNESS_SLOTS);
      const raw = new Float64Array(shared, 8, WITNESS_SLOTS * 2);
      const starved = Array.from({ length: count }, (_, index) => [raw[index * 2], raw[index * 2 + 1]]);
      let longestGcMs = 0;
      let totalGcMs = 0;
      for (const [start, end] of pauses) {
        longestGcMs = Math.max(longestGcMs, end - start);
        totalGcMs += end - start;
      }
      let longestOutsideGcMs = 0;
      let longestBlockingMs = 0;
      for (const [start, end] of stalls) {
        const wall = end - start - intervalMs;
        const outsideGc = wall - overlap(pauses, start, end);
        longestOutsideGcMs = Math.max(longestOutsideGcMs, outsideGc);
        longestBlockingMs = Math.max(longestBlockingMs, outsideGc - overlap(starved, start, end));
      }
      return { stalls: stalls.length, longestGcMs, totalGcMs, longestOutsideGcMs, longestBlockingMs, witnessStalls: count };
    },
  };
}
