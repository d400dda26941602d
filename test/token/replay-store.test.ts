/**
 * The in-memory replay store: a `jti` is refused again within its window and accepted again
 * once it expired, the bound holds under a flood of distinct `jti`s, and entries recorded out
 * of expiry order are still judged by their own expiry.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryReplayStore, type ReplayStore } from '../../src/token/replay-store.js';

const START = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryReplayStore', () => {
  it('is a ReplayStore answering synchronously', () => {
    const store: ReplayStore = new MemoryReplayStore();
    expect(store.seen('a', START + 1000)).toBe(false);
  });

  it('refuses a jti seen within its window, through its last millisecond', () => {
    const store = new MemoryReplayStore();
    expect(store.seen('a', START + 65_000)).toBe(false);
    expect(store.seen('a', START + 65_000)).toBe(true);
    vi.setSystemTime(START + 65_000);
    expect(store.seen('a', START + 130_000)).toBe(true);
    expect(store.seen('b', START + 130_000)).toBe(false);
    expect(store.size).toBe(2);
  });

  it('accepts the jti again once it expired, and remembers it anew', () => {
    const store = new MemoryReplayStore();
    expect(store.seen('a', START + 65_000)).toBe(false);
    vi.setSystemTime(START + 65_001);
    expect(store.seen('a', START + 130_001)).toBe(false);
    expect(store.seen('a', START + 130_001)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('drops expired entries from the front on each call', () => {
    const store = new MemoryReplayStore();
    for (let i = 0; i < 100; i += 1) store.seen(`jti-${i}`, START + i);
    expect(store.size).toBe(100);
    vi.setSystemTime(START + 50);
    store.seen('fresh', START + 10_000);
    // jti-0 to jti-49 expired (their last millisecond has passed); jti-50 lasts through now.
    expect(store.size).toBe(51);
    expect(store.seen('jti-50', START + 10_000)).toBe(true);
    expect(store.seen('jti-49', START + 10_000)).toBe(false);
  });

  it('judges each entry by its own expiry when they arrive out of order', () => {
    const store = new MemoryReplayStore();
    expect(store.seen('long', START + 60_000)).toBe(false);
    expect(store.seen('short', START + 1_000)).toBe(false);
    vi.setSystemTime(START + 2_000);
    // `short` expired behind `long`, which holds the front: still in the map, counted as absent.
    store.seen('other', START + 60_000);
    expect(store.size).toBe(3);
    expect(store.seen('short', START + 62_000)).toBe(false);
    expect(store.seen('short', START + 62_000)).toBe(true);
    expect(store.seen('long', START + 62_000)).toBe(true);
    // Once `long` expires, everything expired behind it goes too.
    vi.setSystemTime(START + 61_000);
    expect(store.seen('probe', START + 70_000)).toBe(false);
    expect(store.size).toBe(2);
    expect(store.seen('long', START + 70_000)).toBe(false);
  });

  it('drops the oldest entry when full, expired or not', () => {
    const store = new MemoryReplayStore({ maxEntries: 3 });
    for (const jti of ['a', 'b', 'c', 'd']) expect(store.seen(jti, START + 60_000)).toBe(false);
    expect(store.size).toBe(3);
    expect(store.seen('b', START + 60_000)).toBe(true);
    // `a` was pushed out by the bound, though within its window: the price of a flat memory.
    expect(store.seen('a', START + 60_000)).toBe(false);
  });

  // With the default bound, so that a cost per call growing with the size (taking the first key
  // of a Map emptied from the front does) would blow the timeout.
  it('stays within maxEntries under 1,000,000 distinct jtis, in time', () => {
    const maxEntries = 100_000;
    const store = new MemoryReplayStore();
    let largest = 0;
    let replays = 0;
    for (let i = 0; i < 1_000_000; i += 1) {
      // Time moves on a little for every proof, some of them expiring, most not.
      if (i % 1000 === 0) vi.setSystemTime(START + i);
      if (store.seen(`jti-${i}`, START + i + (i % 3 === 0 ? 0 : 3_600_000))) replays += 1;
      if (store.size > largest) largest = store.size;
    }
    expect(replays).toBe(0);
    expect(largest).toBe(maxEntries);
    expect(store.seen('jti-999999', START + 2_000_000)).toBe(true);
  }, 20_000);

  it('stays small when expired jtis are recorded again and again behind a long-lived one', () => {
    const store = new MemoryReplayStore({ maxEntries: 10 });
    expect(store.seen('long', START + 3_600_000)).toBe(false);
    let replays = 0;
    for (let i = 0; i < 20_000; i += 1) {
      vi.setSystemTime(START + i);
      // Recorded until now: expired at the next call, found expired and recorded afresh.
      if (store.seen('churn', START + i)) replays += 1;
    }
    expect(replays).toBe(0);
    expect(store.size).toBe(2);
    expect(store.seen('long', START + 3_600_000)).toBe(true);
    vi.setSystemTime(START + 20_000);
    expect(store.seen('churn', START + 3_600_000)).toBe(false);
    expect(store.seen('churn', START + 3_600_000)).toBe(true);
  });

  it('keeps the default bound of 100,000', () => {
    const store = new MemoryReplayStore();
    for (let i = 0; i < 100_010; i += 1) store.seen(`jti-${i}`, START + 60_000);
    expect(store.size).toBe(100_000);
    expect(store.seen('jti-9', START + 60_000)).toBe(false);
    expect(store.seen('jti-100009', START + 60_000)).toBe(true);
  });

  it('refuses a bound that is not a positive integer, and an untilMs that is NaN', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryReplayStore({ maxEntries })).toThrow(RangeError);
    }
    expect(() => new MemoryReplayStore().seen('a', Number.NaN)).toThrow(TypeError);
  });
});
