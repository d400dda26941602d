/** The reason a {@link Deadline} aborts with when its time is up. @internal */
export class DeadlineExceeded extends Error {
  override readonly name = 'TimeoutError';
}

/** An abort signal that fires when a timer the library owns runs out or a lifetime ends. @internal */
export interface Deadline {
  /** Aborted at the deadline (reason {@link DeadlineExceeded}) or when the lifetime aborts. */
  readonly signal: AbortSignal;
  /** Whether the deadline, not the lifetime, aborted the signal. */
  readonly expired: boolean;
  /** Clears the timer and the lifetime listener; call it in `finally`. */
  clear(): void;
}

/**
 * Arms a deadline of `ms` milliseconds bound to `lifetime`. A plain `setTimeout` held by
 * this object rather than a timeout signal: on Node 20, `AbortSignal.timeout` combined with
 * another signal is only weakly held and may never fire after a garbage collection
 * (nodejs/node#57736), which left fetches to a hung IdP pending for minutes.
 * @internal
 */
export function armDeadline(ms: number, lifetime: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onLifetimeEnd = () => controller.abort(lifetime.reason);
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DeadlineExceeded(`no answer within ${ms} ms`));
  }, ms);
  if (lifetime.aborted) onLifetimeEnd();
  else lifetime.addEventListener('abort', onLifetimeEnd, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      lifetime.removeEventListener('abort', onLifetimeEnd);
    },
  };
}

/**
 * Settles with `work`, or rejects when `deadline` aborts first, whichever comes first. For
 * work that takes no signal (a user's policy store): its promise is left to settle on its
 * own, but nobody waits for it.
 * @internal
 */
export function raceDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  const { signal } = deadline;
  if (signal.aborted) {
    // Nobody waits for `work` any more, but its rejection must not go unhandled.
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
