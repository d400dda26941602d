import { LRUCache } from 'lru-cache';

/**
 * What a cached token entry must carry for its validity to be checked, and the two fields the
 * cache writes into it when it keeps it (an entry starts with `cachedToken: ''` and
 * `cachedUntilMs: 0`, so that its shape never changes): one object per kept token instead of a
 * wrapper around it, measured as about 50 bytes of heap less per entry.
 * @internal
 */
export interface Cacheable {
  /**
   * The verifying key; `live` turns false when the key leaves the JWKS, and `trusted`
   * (when set) says whether the issuer's keys may still be relied on at all.
   */
  key: { live: boolean; trusted?: (now: number) => boolean };
  /** `exp` in milliseconds. */
  expiresAtMs: number;
  /** An estimate, from above, of the heap the value holds (its claims, mostly). */
  bytes: number;
  /** When reuse must end earlier than `exp` and the TTL (an introspection answer's `cacheTtl`). */
  cacheUntilMs?: number | undefined;
  /** The whole token it is kept for: the map key is only its tail. Written by the cache. */
  cachedToken: string;
  /** The earlier of `exp` and the cache TTL; tolerance never extends it. Written by the cache. */
  cachedUntilMs: number;
}

/** Bounds of a {@link TokenCache}. @internal */
export interface TokenCacheLimits {
  maxEntries: number;
  /** Bytes of every entry together; one entry over a hundredth of it is not kept. */
  maxBytes: number;
  ttlMs: number;
}

/** What an entry costs beyond its value and token: the entry, its map node and key. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * Characters of a token's end used as its map key. Hashing an 800-character token on
 * every lookup was most of the cost of a cached request (measured with --cpu-prof); the
 * last 24 characters lie in the signature (144 random bits for a real token), and a hit
 * still compares the whole token.
 */
const KEY_LENGTH = 24;

function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(-KEY_LENGTH);
}

/**
 * Verified tokens by their exact string, bounded (LRU) in entries and in estimated bytes,
 * each entry valid until the earlier of its `exp` and the TTL and only while its key is
 * still published.
 * Concurrent verifications of one token share one promise. Failures are never kept.
 * @internal
 */
export class TokenCache<T extends Cacheable> {
  readonly #entries: LRUCache<string, T>;
  /** Verifications in flight, by the same tail key; `token` tells a collision apart. */
  readonly #pending = new Map<string, { token: string; promise: Promise<T> }>();
  readonly #ttlMs: number;
  readonly #maxEntryBytes: number;

  constructor({ maxEntries, maxBytes, ttlMs }: TokenCacheLimits) {
    this.#maxEntryBytes = Math.floor(maxBytes / 100);
    this.#entries = new LRUCache({ max: maxEntries, maxSize: maxBytes, maxEntrySize: this.#maxEntryBytes });
    this.#ttlMs = ttlMs;
  }

  /** What `value` for `token` costs in the cache; 0 means it is not cached. */
  #sizeOf(token: string, value: T): number {
    // The token string is the sender's (a sliced header, up to 16 KiB), kept alive by the entry.
    const bytes = ENTRY_OVERHEAD_BYTES + token.length + value.bytes;
    return bytes > this.#maxEntryBytes ? 0 : bytes;
  }

  /** The cached value for `token` when still valid at `now`; drops it otherwise. */
  get(token: string, now: number): T | undefined {
    const cacheKey = keyOf(token);
    const entry = this.#entries.get(cacheKey);
    if (entry === undefined || entry.cachedToken !== token) return undefined;
    const { key } = entry;
    if (now < entry.cachedUntilMs && key.live && (key.trusted?.(now) ?? true)) return entry;
    this.#entries.delete(cacheKey);
    return undefined;
  }

  /**
   * Runs `verify` once for concurrent callers with the same token and caches a success. A
   * verification that answers at once is cached at once, without a promise (nothing can join
   * it). Another token with the same tail (never seen with real signatures) is verified on its
   * own, without joining or caching.
   */
  verify(token: string, verify: () => T | Promise<T>): T | Promise<T> {
    const cacheKey = keyOf(token);
    const pending = this.#pending.get(cacheKey);
    if (pending !== undefined) return pending.token === token ? pending.promise : verify();
    const answer = verify();
    if (!(answer instanceof Promise)) return this.#keep(cacheKey, token, answer);
    const promise = answer.then(
      (value) => {
        this.#pending.delete(cacheKey);
        return this.#keep(cacheKey, token, value);
      },
      (error: unknown) => {
        this.#pending.delete(cacheKey);
        throw error;
      },
    );
    this.#pending.set(cacheKey, { token, promise });
    return promise;
  }

  /** Caches a verified token until the earlier of its `exp` and the TTL, and returns it. */
  #keep(cacheKey: string, token: string, value: T): T {
    const now = Date.now();
    const untilMs = Math.min(value.expiresAtMs, now + this.#ttlMs, value.cacheUntilMs ?? Number.POSITIVE_INFINITY);
    const size = this.#sizeOf(token, value);
    // An entry over a hundredth of the budget is verified but not kept (rule 23).
    if (untilMs > now && size !== 0) {
      value.cachedToken = token;
      value.cachedUntilMs = untilMs;
      this.#entries.set(cacheKey, value, { size });
    }
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The estimated bytes of every entry held. */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  clear(): void {
    this.#entries.clear();
    this.#pending.clear();
  }
}
