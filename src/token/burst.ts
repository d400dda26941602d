/**
 * Which signature checks run on the calling thread and which go to libuv's thread pool.
 *
 * Each turn of the event loop may spend a budget of time on synchronous checks; past it, the
 * rest of the turn's checks go to the pool, whose threads verify in parallel on the other CPUs
 * while the event loop serves I/O (with 64 at once on 2 CPUs, 1.3 to 1.45 times the synchronous
 * rate). Only the time spent checking counts, not time the loop spent on anything else or
 * waiting: the budget bounds how long verification holds the event loop in one turn.
 *
 * A trip to the pool pays only when other checks overlap it. A lone caller that checks token
 * after token without yielding (a batch job, a test loop) gains nothing from it and loses a
 * thread hop per trip, so when a stay on the pool overlapped nothing, the budget doubles (up to
 * a ceiling), and it falls back to the base as soon as a check starts while another is on the
 * pool: a burst is back on the pool within one turn (docs/decisions.md has the measurements).
 */
const BASE_BUDGET_MS = 1;
const MAX_BUDGET_MS = 16;

/** What {@link startCheck} returns for a check that belongs on the pool. */
export const ON_POOL = -1;

let budgetMs = BASE_BUDGET_MS;
/** Time spent on synchronous checks in this turn. */
let spentMs = 0;
/** Whether an immediate is due to end the turn's window. */
let windowOpen = false;
/** Checks on the pool now. */
let onPool = 0;
/** Whether a check started while another was on the pool, since the pool was last idle. */
let overlapped = false;

function closeWindow(): void {
  windowOpen = false;
  spentMs = 0;
}

/**
 * Counts a signature check about to start, and says where it runs: {@link ON_POOL} once this
 * turn has spent its budget (then {@link leftPool} must follow when the check settles), or
 * else the time it starts on the calling thread (then {@link endCheck} must follow). The
 * window is closed by an immediate, which runs once the turn's I/O callbacks are done; it is
 * unref'd, so it never keeps a process alive.
 * @internal
 */
export function startCheck(): number {
  if (onPool !== 0) {
    // Checks overlap: a burst. Back to the base budget now, not once the pool drains, which in
    // a steady burst it never does.
    overlapped = true;
    budgetMs = BASE_BUDGET_MS;
  }
  if (!windowOpen) {
    windowOpen = true;
    setImmediate(closeWindow).unref();
  } else if (spentMs >= budgetMs) {
    onPool += 1;
    return ON_POOL;
  }
  // The global, not node:perf_hooks' export: one clock that tests can fake.
  return performance.now();
}

/** A synchronous check begun at `startedAt` is done: its time counts against the budget. @internal */
export function endCheck(startedAt: number): void {
  spentMs += performance.now() - startedAt;
}

/** A check sent to the pool by {@link startCheck} has settled. @internal */
export function leftPool(): void {
  onPool -= 1;
  if (onPool !== 0) return;
  budgetMs = overlapped ? BASE_BUDGET_MS : Math.min(budgetMs * 2, MAX_BUDGET_MS);
  overlapped = false;
}
