// A tenantgate ReplayStore in Redis, so that several replicas of a service refuse a DPoP proof
// that any one of them has already accepted (RFC 9449 §11.1). node-redis v5 (`redis`).
import { createClient } from 'redis';

/** The default key prefix: keys are `tenantgate:dpop:<jti>`. */
export const DEFAULT_PREFIX = 'tenantgate:dpop:';

/**
 * A `ReplayStore` over a connected node-redis client (shared with the rest of the app if you
 * like). `seen(jti, untilMs)` is one command, `SET <prefix><jti> 1 NX PX <ms>`, which records
 * the jti and tells whether it was there in a single atomic step: a GET followed by a SET
 * would let two replicas both accept the same proof. Redis drops the key when the proof's
 * window ends, so the store never grows beyond the proofs of the last window.
 *
 * - `ms` is rounded up to a whole millisecond (Redis refuses a fraction, and a proof's `iat`
 *   may have one) and is at least 1, so a proof at the very end of its window is still recorded.
 * - `SET ... NX` answers `null` when the key already exists: the proof was seen, refuse it.
 * - When Redis fails, `seen` rejects and tenantgate answers 503 `replay_store_unavailable`;
 *   it never accepts a proof it could not record. A command that hangs is cut off by
 *   tenantgate after `jwks.timeout`.
 *
 * @param {{ set(key: string, value: string, options: object): Promise<string | null> }} client
 *   a connected node-redis client
 * @param {{ prefix?: string }} [options]
 * @returns {import('tenantgate').ReplayStore}
 */
export function createRedisReplayStore(client, { prefix = DEFAULT_PREFIX } = {}) {
  return {
    async seen(jti, untilMs) {
      const ms = Math.max(1, Math.ceil(untilMs - Date.now()));
      const answer = await client.set(`${prefix}${jti}`, '1', { condition: 'NX', expiration: { type: 'PX', value: ms } });
      return answer === null;
    },
  };
}

/**
 * Connects to `url` (e.g. `redis://127.0.0.1:6379`) and returns the store with its client.
 * The first connection must succeed (or this rejects); afterwards the client reconnects on
 * its own. Commands fail at once while the connection is down (`disableOfflineQueue`) rather
 * than wait in a queue: a request is then answered 503 quickly.
 *
 * @param {string} url
 * @param {{ prefix?: string, onError?: (error: Error) => void }} [options]
 *   `onError` receives the client's connection errors once connected (default: logged to
 *   stderr); without a listener, node-redis would crash the process on the first one.
 */
export async function connectRedisReplayStore(url, { prefix = DEFAULT_PREFIX, onError = logError } = {}) {
  const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5_000 } });
  let connected = false;
  const failed = new Promise((resolve, reject) => {
    client.on('error', (error) => (connected ? onError(error) : reject(error)));
  });
  const connecting = client.connect();
  connecting.catch(() => undefined); // when the error event wins the race, it is reported below
  try {
    await Promise.race([connecting, failed]);
    connected = true;
  } catch (error) {
    client.destroy();
    const where = URL.canParse(url) ? new URL(url).host : 'the given URL'; // never the password
    throw new Error(`could not connect to Redis at ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return {
    replayStore: createRedisReplayStore(client, { prefix }),
    client,
    /** Closes the connection after the pending commands. */
    close: () => client.close(),
  };
}

function logError(error) {
  console.error(`redis replay store: ${error instanceof Error ? error.message : String(error)}`);
}
