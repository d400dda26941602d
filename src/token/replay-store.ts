/**
 * Where the `jti` of every accepted DPoP proof is remembered for as long as the proof could be
 * accepted, so that a captured proof cannot be sent again (RFC 9449 §11.1). The default,
 * {@link MemoryReplayStore}, serves one process; several replicas behind one load balancer
 * need a store they share.
 *
 * @example A Redis-backed store (node-redis 5; examples/dpop-redis has the whole of it):
 * ```ts
 * const replayStore: ReplayStore = {
 *   async seen(jti, untilMs) {
 *     const ms = Math.max(1, Math.ceil(untilMs - Date.now()));
 *     const options = { condition: 'NX', expiration: { type: 'PX', value: ms } } as const;
 *     return (await redis.set(`dpop:${jti}`, '1', options)) === null;
 *   },
 * };
 * ```
 */
export interface ReplayStore {
  /**
   * Returns `true` when `jti` was already recorded and has not expired; otherwise records it
   * until `untilMs` (milliseconds since the epoch) and returns `false`. A shared store must
   * do both in one atomic step (Redis `SET key 1 NX PX ms`): with a read and a separate write,
   * two replicas can each accept the same proof.
   */
  seen(jti: string, untilMs: number): boolean | Promise<boolean>;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/** One recorded `jti`; the queue and the map share the object, so a stale queue slot is told by identity. */
interface Entry {
  readonly jti: string;
  readonly untilMs: number;
}

/** Queue slots consumed before the array is cut down, so that the copy is amortized. */
const COMPACT_AFTER = 1024;

/**
 * A {@link ReplayStore} in this process's memory, bounded in entries: a `Map` from `jti` to
 * the instant it may be forgotten, and the same entries in a queue in insertion order.
 *
 * The queue is there because V8 leaves a hole for each key deleted from a `Map` until it next
 * rehashes, and every new iterator walks over the holes at the front: taking the first key of
 * a `Map` emptied from the front costs O(size), measured at 37 µs a call for 100,000 entries.
 *
 * Each call first forgets the expired entries at the front of the queue. Proofs arrive with
 * roughly increasing expiry, so these are the oldest, and each entry is dropped once: the cost
 * is amortized O(1). An entry that expired behind a younger one stays until it reaches the
 * front, and counts as absent when looked up meanwhile.
 *
 * When the store is still full, the oldest entry is dropped, expired or not. A flood of
 * distinct proofs can therefore push out `jti`s whose proofs are still within their window,
 * which could then be replayed: the bound is what keeps memory flat under that flood. Size
 * `maxEntries` above the number of proofs expected within one `proofMaxAge` (each entry costs
 * about its `jti`'s length plus 150 bytes), or use a shared store.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, Entry>();
  /** Oldest first from `#head`; a slot whose entry is no longer the map's is stale and skipped. */
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  readonly #maxEntries: number;

  /** @param options.maxEntries The most `jti`s remembered at once; 100,000 by default. */
  constructor(options: { maxEntries?: number } = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('MemoryReplayStore: maxEntries must be a positive integer');
    }
    this.#maxEntries = maxEntries;
  }

  /** How many `jti`s are held now, some possibly expired but not yet dropped. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Returns `true` when `jti` was recorded and has not expired; otherwise records it until
   * `untilMs` and returns `false`. An entry lasts through `untilMs` itself: a proof is still accepted at the last instant of
   * its window, so its `jti` must still be known then.
   */
  seen(jti: string, untilMs: number): boolean {
    // NaN would never compare as expired and would hold the front of the queue forever.
    if (Number.isNaN(untilMs)) throw new TypeError('MemoryReplayStore: untilMs must be a number');
    const now = Date.now();
    this.#dropFront((entry) => entry.untilMs < now);
    const known = this.#entries.get(jti);
    if (known !== undefined) {
      if (known.untilMs >= now) return true;
      // Expired behind a younger entry: its queue slot turns stale, and it is recorded afresh.
      this.#entries.delete(jti);
    }
    while (this.#entries.size >= this.#maxEntries) this.#dropFront(() => true, 1);
    const entry: Entry = { jti, untilMs };
    this.#entries.set(jti, entry);
    this.#queue.push(entry);
    this.#compact();
    return false;
  }

  /** Drops entries from the front while `drop` says so, at most `limit` live ones. */
  #dropFront(drop: (entry: Entry) => boolean, limit = Number.POSITIVE_INFINITY): void {
    let dropped = 0;
    while (this.#head < this.#queue.length && dropped < limit) {
      const entry = this.#queue[this.#head];
      const live = entry !== undefined && this.#entries.get(entry.jti) === entry;
      if (live) {
        if (!drop(entry)) return;
        this.#entries.delete(entry.jti);
        dropped += 1;
      }
      this.#queue[this.#head] = undefined;
      this.#head += 1;
    }
  }

  /**
   * Keeps the queue near the map's size: the consumed front is cut once it is half the array,
   * and stale slots (entries recorded again after expiring behind a younger one) are shed by
   * rebuilding from the map, whose order is the same insertion order, once they outnumber
   * the bound. Each copy follows at least as many calls as it copies entries.
   */
  #compact(): void {
    const pending = this.#queue.length - this.#head;
    if (pending > 2 * this.#maxEntries + COMPACT_AFTER) {
      this.#queue = [...this.#entries.values()];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
