// estimateHeapBytes must never undercount: cache.maxBytes rests on it. Short strings are
// counted at two bytes a character without a look; longer ones at what V8 stores.
import { describe, expect, it } from 'vitest';
import { estimateHeapBytes } from '../../src/base/heap-size.js';

describe('estimateHeapBytes', () => {
  it('counts a short string at two bytes a character, whatever it holds', () => {
    expect(estimateHeapBytes('a'.repeat(32))).toBe(estimateHeapBytes('é'.repeat(32)));
    expect(estimateHeapBytes('中'.repeat(32))).toBeGreaterThanOrEqual(2 * 32);
  });

  it('counts a long string by how V8 stores it: one byte a character only when every one fits', () => {
    const oneByte = estimateHeapBytes('a'.repeat(10_000));
    const latin1 = estimateHeapBytes('é'.repeat(10_000));
    const twoByte = estimateHeapBytes(`${'a'.repeat(9_999)}中`);
    expect(oneByte).toBeGreaterThanOrEqual(10_000);
    expect(oneByte).toBeLessThan(12_000);
    expect(latin1).toBe(oneByte);
    expect(twoByte).toBeGreaterThanOrEqual(20_000);
  });

  it('counts property names and nested values, with no call stack to overflow', () => {
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`claim-${index}`, index]));
    expect(estimateHeapBytes(wide)).toBeGreaterThan(1000 * 16);
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(estimateHeapBytes(deep)).toBeGreaterThan(100_000 * 56);
  });
});
