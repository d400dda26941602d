// The frame every scenario runs in: figures, bounds, cleanup, a watchdog, and one result line
// for stress/run.js. A scenario is a child process of its own (run with --expose-gc).
import { performance } from 'node:perf_hooks';

export const RESULT_PREFIX = 'STRESS_RESULT ';
export const LEAK_PREFIX = 'STRESS_LEAK ';

/** How long a finished scenario may stay alive before its open handles count as a leak. */
const EXIT_GRACE_MS = 5_000;

/**
 * Runs `body(ctx)` and reports. `limits` = { short: ms, long: ms }: past it the scenario is
 * stopped and fails (a hang of the scenario itself is a broken bound too).
 */
export function runScenario(name, limits, body) {
  const long = process.argv.includes('--long');
  const figures = [];
  const checks = [];
  const cleanups = [];
  const counters = { unhandledRejections: 0, uncaughtExceptions: 0 };
  const started = performance.now();
  let reported = false;

  process.on('unhandledRejection', () => {
    counters.unhandledRejections += 1;
  });
  process.on('uncaughtException', (error) => {
    counters.uncaughtExceptions += 1;
    checks.push({ label: 'no uncaught exception', ok: false, detail: describeError(error) });
  });

  const ctx = {
    name,
    long,
    short: !long,
    /** Records a figure shown in the report (value: number or text). */
    figure(label, value) {
      figures.push([label, typeof value === 'number' ? round(value) : String(value)]);
    },
    /** Records a bound; `ok` false fails the scenario. Returns `ok`. */
    check(label, ok, detail = '') {
      checks.push({ label, ok: Boolean(ok), detail: String(detail) });
      return Boolean(ok);
    },
    log(message) {
      process.stdout.write(`${message}\n`);
    },
    /** Registers cleanup work, run last-in first-out even when the body throws. */
    defer(fn) {
      cleanups.push(fn);
    },
    counters,
  };

  const report = (status) => {
    if (reported) return;
    reported = true;
    const result = {
      name,
      mode: long ? 'long' : 'short',
      durationMs: Math.round(performance.now() - started),
      figures,
      checks,
      status,
    };
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  };

  const limitMs = long ? limits.long : limits.short;
  const watchdog = setTimeout(() => {
    checks.push({ label: `finishes within ${limitMs / 1000} s`, ok: false, detail: 'watchdog fired: the scenario hung' });
    report('timeout');
    process.exit(1);
  }, limitMs);
  watchdog.unref();

  (async () => {
    try {
      await body(ctx);
    } catch (error) {
      checks.push({ label: 'scenario ran to the end', ok: false, detail: describeError(error) });
    }
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        checks.push({ label: 'cleanup', ok: false, detail: describeError(error) });
      }
    }
    // Rejections are reported on the next turn at the earliest: let them surface.
    await new Promise((resolve) => setImmediate(resolve));
    ctx.check('no unhandled rejection', counters.unhandledRejections === 0, `${counters.unhandledRejections} seen`);
    clearTimeout(watchdog);
    report('done');
    process.exitCode = checks.every((check) => check.ok) ? 0 : 1;
    // Everything is closed now: the process must exit by itself. If it does not, something
    // (a timer, a socket) was left behind; name it and fail.
    const leak = setTimeout(() => {
      // This detector's own timer is unref'd: it is not listed.
      const resources = process.getActiveResourcesInfo();
      process.stdout.write(`${LEAK_PREFIX}${JSON.stringify(resources)}\n`);
      process.exit(1);
    }, EXIT_GRACE_MS);
    leak.unref();
  })();
}

/** Settles `promise` against a deadline without leaving the deadline's timer behind. */
export async function settleWithin(promise, ms) {
  const start = performance.now();
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ settled: true, ok: true, value }),
      (error) => ({ settled: true, ok: false, error }),
    ),
    deadline,
  ]);
  clearTimeout(timer);
  return { ...outcome, ms: performance.now() - start };
}

/**
 * Calls global.gc() every `everyMs` until `promise` settles or `stop()` is called: timers or
 * signals held only weakly by a pending fetch are collected then. `collections` counts them.
 */
export function collectGarbageWhilePending(promise, everyMs = 25) {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const state = { collections: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    global.gc();
    state.collections += 1;
  }, everyMs);
  promise.then(state.stop, state.stop);
  return state;
}

/** Forces full collections until the heap stops shrinking; returns heapUsed in bytes. */
export function settledHeap() {
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round += 1) {
    global.gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 64 * 1024) return used;
    previous = used;
  }
  return process.memoryUsage().heapUsed;
}

/** p50/p99/max of a list of milliseconds. */
export function latencyStats(samples) {
  if (samples.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export function formatBytes(bytes) {
  const sign = bytes < 0 ? '-' : '';
  const value = Math.abs(bytes);
  if (value >= 1024 * 1024) return `${sign}${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (value >= 1024) return `${sign}${(value / 1024).toFixed(1)} KiB`;
  return `${sign}${value} B`;
}

/** An error's kind and message, cut, with anything token-like blanked: never log a token. */
export function describeError(error) {
  if (error instanceof Error) {
    const code = 'code' in error ? ` ${String(error.code)}` : '';
    return redact(`${error.name}${code}: ${String(error.message).slice(0, 300)}`);
  }
  return `non-Error thrown: ${typeof error}`;
}

/** Blanks base64url runs long enough to be a token segment. */
export function redact(text) {
  return text.replace(/[A-Za-z0-9_-]{24,}/g, '[redacted]');
}

function round(value) {
  return Number.isInteger(value) ? value : Math.round(value * 100) / 100;
}
