import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenCache, type Cacheable } from '../../src/token/token-cache.js';

interface Value extends Cacheable {
  name: string;
}

const HOUR_MS = 3_600_000;
/** Longer than the cache's map key, so that tokens can share it. */
const SHARED_TAIL = 'S'.repeat(40);

function valueNamed(name: string, expiresAtMs = Date.now() + HOUR_MS, bytes = 100): Value {
  return { name, key: { live: true }, expiresAtMs, bytes, cachedToken: '', cachedUntilMs: 0 };
}

const MIB = 1024 * 1024;

function limits(maxEntries: number, ttlMs: number, maxBytes = 64 * MIB) {
  return { maxEntries, ttlMs, maxBytes };
}

/** A verification that settles when told to, counting its calls. */
function deferredVerify(name: string) {
  let settle: (value: Value) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const calls: number[] = [];
  const verify = () => {
    calls.push(1);
    return new Promise<Value>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
  };
  return { verify, calls, settle: () => settle(valueNamed(name)), fail: (error: Error) => fail(error) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenCache', () => {
  it('shares one verification between concurrent callers of the same token, then serves it', async () => {
    const cache = new TokenCache<Value>(limits(10, HOUR_MS));
    const first = deferredVerify('one');
    const joined = [cache.verify('a.b.c', first.verify), cache.verify('a.b.c', first.verify)];
    first.settle();
    const values = await Promise.all(joined);
    expect(first.calls).toHaveLength(1);
    expect(values[0]).toBe(values[1]);
    expect(cache.get('a.b.c', Date.now())?.name).toBe('one');
  });

  it('keeps tokens that share a tail apart: no joined verification, no wrong hit', async () => {
    const cache = new TokenCache<Value>(limits(10, HOUR_MS));
    const left = `left.x.${SHARED_TAIL}`;
    const right = `right.y.${SHARED_TAIL}`;
    const leftVerify = deferredVerify('left');
    const rightVerify = deferredVerify('right');
    const leftResult = cache.verify(left, leftVerify.verify);
    const rightResult = cache.verify(right, rightVerify.verify);
    expect(rightVerify.calls).toHaveLength(1);
    leftVerify.settle();
    rightVerify.settle();
    expect((await leftResult).name).toBe('left');
    expect((await rightResult).name).toBe('right');
    expect(cache.get(left, Date.now())?.name).toBe('left');
    expect(cache.get(right, Date.now())).toBeUndefined();
  });

  it('does not keep a failure, and verifies again next time', async () => {
    const cache = new TokenCache<Value>(limits(10, HOUR_MS));
    const failing = deferredVerify('never');
    const result = cache.verify('a.b.c', failing.verify);
    failing.fail(new Error('bad signature'));
    await expect(result).rejects.toThrow('bad signature');
    expect(cache.get('a.b.c', Date.now())).toBeUndefined();
    const retry = deferredVerify('second');
    const again = cache.verify('a.b.c', retry.verify);
    retry.settle();
    expect((await again).name).toBe('second');
    expect(retry.calls).toHaveLength(1);
  });

  it('drops an entry at exp, at the TTL, and once its key is gone', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const cache = new TokenCache<Value>(limits(10, 60_000));
    await cache.verify('exp.soon.x', async () => valueNamed('exp', Date.now() + 30_000));
    await cache.verify('ttl.first.x', async () => valueNamed('ttl'));
    const gone = valueNamed('gone');
    await cache.verify('key.gone.x', async () => gone);
    expect(cache.get('exp.soon.x', Date.now())?.name).toBe('exp');
    gone.key.live = false;
    expect(cache.get('key.gone.x', Date.now())).toBeUndefined();
    vi.advanceTimersByTime(30_000);
    expect(cache.get('exp.soon.x', Date.now())).toBeUndefined();
    expect(cache.get('ttl.first.x', Date.now())?.name).toBe('ttl');
    vi.advanceTimersByTime(30_000);
    expect(cache.get('ttl.first.x', Date.now())).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds no more estimated bytes than maxBytes, evicting the least recently used', async () => {
    const maxBytes = 64 * 1024;
    const cache = new TokenCache<Value>(limits(10_000, HOUR_MS, maxBytes));
    // Each entry just under a hundredth of the budget: about a hundred fit, not a thousand.
    for (let index = 0; index < 1000; index += 1) {
      await cache.verify(`token.${index}.x`, async () => valueNamed(String(index), undefined, 300));
    }
    expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    expect(cache.size).toBeGreaterThan(50);
    expect(cache.size).toBeLessThan(200);
    expect(cache.get('token.999.x', Date.now())?.name).toBe('999');
    expect(cache.get('token.0.x', Date.now())).toBeUndefined();
  });

  it('verifies but does not keep an entry over a hundredth of maxBytes', async () => {
    const cache = new TokenCache<Value>(limits(10, HOUR_MS, 100 * 1024));
    const big = await cache.verify('big.token.x', async () => valueNamed('big', undefined, 1024 + 1));
    expect(big.name).toBe('big');
    expect(cache.get('big.token.x', Date.now())).toBeUndefined();
    const small = await cache.verify('small.token.x', async () => valueNamed('small', undefined, 200));
    expect(cache.get('small.token.x', Date.now())).toBe(small);
    expect(cache.size).toBe(1);
  });

  it('answers a kept value only for the token it was kept for, even when one value is kept twice', () => {
    const cache = new TokenCache<Value>(limits(10, HOUR_MS));
    const shared = valueNamed('shared');
    const first = `first.x.${'A'.repeat(40)}`;
    const second = `second.y.${'B'.repeat(40)}`;
    expect(cache.verify(first, () => shared)).toBe(shared);
    expect(cache.get(first, Date.now())).toBe(shared);
    // The cache writes the token into the value it keeps: kept again for another token, it
    // must stop answering the first (a miss, never a wrong hit).
    expect(cache.verify(second, () => shared)).toBe(shared);
    expect(cache.get(second, Date.now())).toBe(shared);
    expect(cache.get(first, Date.now())).toBeUndefined();
  });
});
