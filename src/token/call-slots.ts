import type { Deadline } from '../base/deadline.js';

/**
 * Bounds the calls one issuer receives at once: `size` run, up to `maxWaiting` more wait in
 * order for a slot, each until its own deadline; beyond that a caller is refused at once. A
 * flood of distinct opaque tokens then costs the issuer at most `size` calls at a time and this
 * process a bounded queue, instead of a socket and a pending request per token.
 * @internal
 */
export class CallSlots {
  readonly #size: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting = new Set<() => void>();

  constructor(size: number, maxWaiting: number) {
    this.#size = size;
    this.#maxWaiting = maxWaiting;
  }

  /** Takes a slot when one is free. */
  tryAcquire(): boolean {
    if (this.#running >= this.#size) return false;
    this.#running += 1;
    return true;
  }

  /**
   * Waits for a slot: a promise of `true` once one frees (it is then taken), of `false` when
   * `deadline` aborts first; `undefined` at once when the queue is full.
   */
  wait(deadline: Deadline): Promise<boolean> | undefined {
    if (this.#waiting.size >= this.#maxWaiting) return undefined;
    if (deadline.signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const granted = () => {
        deadline.signal.removeEventListener('abort', expired);
        resolve(true);
      };
      const expired = () => {
        this.#waiting.delete(granted);
        resolve(false);
      };
      this.#waiting.add(granted);
      deadline.signal.addEventListener('abort', expired, { once: true });
    });
  }

  /** Frees a slot, handing it to the longest waiting caller when there is one. */
  release(): void {
    // A Set iterates in insertion order: the first entry has waited longest.
    for (const next of this.#waiting) {
      this.#waiting.delete(next);
      next();
      return;
    }
    this.#running -= 1;
  }
}
