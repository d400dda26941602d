/**
 * Values remembered by string key, for work a client repeats on every request or token (the
 * same tenant string, the same claim value). Bounded in entries and key length; it starts
 * over when full, which costs one recomputation per key and needs no bookkeeping on a hit.
 * @internal
 */
export class BoundedMemo<V> {
  readonly #values = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #maxKeyLength: number;

  constructor(maxEntries: number, maxKeyLength: number) {
    this.#maxEntries = maxEntries;
    this.#maxKeyLength = maxKeyLength;
  }

  get(key: string): V | undefined {
    return this.#values.get(key);
  }

  /** Remembers `value` unless `key` is too long to be worth keeping. */
  remember(key: string, value: V): void {
    if (key.length > this.#maxKeyLength) return;
    if (this.#values.size >= this.#maxEntries) this.#values.clear();
    this.#values.set(key, value);
  }

  clear(): void {
    this.#values.clear();
  }
}
