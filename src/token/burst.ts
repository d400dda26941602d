/**
 * How many signatures the synchronous path checks per turn of the event loop before the rest
 * go to the thread pool. One: a lone first-seen token gets the faster answer (22 µs against
 * 50 µs for RS256), and a burst spreads over the pool's threads and the other CPUs (1.3 to 1.75
 * times the throughput at 64 at once on 2 CPUs; docs/decisions.md).
 */
const SYNC_PER_TURN = 1;

let startedThisTurn = 0;

/**
 * Counts a signature check about to start, and says whether it belongs on the thread pool:
 * whether this turn of the event loop already checked its share synchronously. The count is
 * reset by an immediate, which runs once the turn's I/O callbacks are done; it is unref'd, so
 * it never keeps a process alive.
 * @internal
 */
export function belongsOnPool(): boolean {
  startedThisTurn += 1;
  if (startedThisTurn === 1) {
    setImmediate(() => {
      startedThisTurn = 0;
    }).unref();
  }
  return startedThisTurn > SYNC_PER_TURN;
}
