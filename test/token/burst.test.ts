/**
 * The rule that sends signature checks to the thread pool (src/token/burst.ts): each turn of
 * the event loop spends up to a budget (1 ms) on synchronous checks, then sends the rest of the
 * turn's checks to the pool; a stay on the pool that overlapped no other check doubles the
 * budget (up to 16 ms), one that did brings it back to 1 ms. Only time spent checking counts.
 * The clock is fake (only `performance`); turns are real (an immediate ends each).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Burst = typeof import('../../src/token/burst.js');

/** A fresh copy of the module, so that no test sees another's budget. */
async function freshBurst(): Promise<Burst> {
  vi.resetModules();
  return import('../../src/token/burst.js');
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * One check lasting `ms` of fake time: where it ran. A check sent to the pool is back at once
 * unless `stay` keeps it there (the caller then calls leftPool).
 */
function check(burst: Burst, ms = 0.25, stay = false): 'sync' | 'pool' {
  const startedAt = burst.startCheck();
  if (startedAt === burst.ON_POOL) {
    if (!stay) burst.leftPool();
    return 'pool';
  }
  vi.advanceTimersByTime(ms);
  burst.endCheck(startedAt);
  return 'sync';
}

/** In a new turn: how many ms of 0.25 ms checks run synchronously before one goes to the pool. */
async function budgetOfNextTurn(burst: Burst): Promise<number> {
  await nextTurn();
  for (let checks = 0; checks <= 256; checks += 1) {
    if (check(burst) === 'pool') return checks * 0.25;
  }
  throw new Error('no check went to the pool within 64 ms');
}

describe('which signature checks go to the thread pool', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks synchronously for the first millisecond of checking in a turn, then sends the rest to the pool', async () => {
    const burst = await freshBurst();
    await nextTurn();
    expect(check(burst, 0.5)).toBe('sync');
    expect(check(burst, 0.25)).toBe('sync');
    expect(check(burst, 0.25)).toBe('sync');
    expect(check(burst, 0.25, true)).toBe('pool');
    expect(check(burst, 0.25, true)).toBe('pool');
    burst.leftPool();
    burst.leftPool();
    // A new turn starts a new window.
    await nextTurn();
    expect(check(burst)).toBe('sync');
  });

  it('counts only the time spent checking, not the time between checks', async () => {
    const burst = await freshBurst();
    await nextTurn();
    for (let index = 0; index < 2; index += 1) {
      expect(check(burst, 0.5)).toBe('sync');
      // The loop does other work, or waits, between checks.
      vi.advanceTimersByTime(50);
    }
    expect(check(burst)).toBe('pool');
  });

  it('always checks the first of a turn synchronously, however long it takes', async () => {
    const burst = await freshBurst();
    await nextTurn();
    expect(check(burst, 40)).toBe('sync');
    expect(check(burst)).toBe('pool');
    await nextTurn();
    expect(check(burst, 40)).toBe('sync');
  });

  it('doubles the budget for a lone caller whose stays on the pool overlap nothing, up to 16 ms', async () => {
    const burst = await freshBurst();
    const budgets: number[] = [];
    for (let turn = 0; turn < 7; turn += 1) budgets.push(await budgetOfNextTurn(burst));
    expect(budgets).toEqual([1, 2, 4, 8, 16, 16, 16]);
  });

  it('brings the budget back to 1 ms as soon as other checks overlap a stay on the pool', async () => {
    const burst = await freshBurst();
    for (let turn = 0; turn < 4; turn += 1) await budgetOfNextTurn(burst);
    expect(await budgetOfNextTurn(burst)).toBe(16);
    // A burst: past the budget, checks go to the pool and stay there together.
    await nextTurn();
    for (let checks = 0; checks < 64; checks += 1) expect(check(burst)).toBe('sync');
    expect([check(burst, 0.25, true), check(burst, 0.25, true), check(burst, 0.25, true)]).toEqual(['pool', 'pool', 'pool']);
    burst.leftPool();
    burst.leftPool();
    burst.leftPool();
    expect(await budgetOfNextTurn(burst)).toBe(1);
  });

  it('falls back to 1 ms at once when a check starts while another is on the pool, though the pool never drains', async () => {
    const burst = await freshBurst();
    for (let turn = 0; turn < 4; turn += 1) await budgetOfNextTurn(burst);
    await nextTurn();
    for (let checks = 0; checks < 64; checks += 1) check(burst);
    expect(check(burst, 0.25, true)).toBe('pool');
    // A steady burst: one check is always on the pool while the next turns run.
    await nextTurn();
    expect(check(burst, 0.5)).toBe('sync');
    expect(check(burst, 0.5)).toBe('sync');
    expect(check(burst, 0.25, true)).toBe('pool');
    burst.leftPool();
    burst.leftPool();
  });

  it('judges a stay once every check is back from the pool; a check started meanwhile is an overlap', async () => {
    const burst = await freshBurst();
    await nextTurn();
    check(burst, 1);
    expect(check(burst, 0.25, true)).toBe('pool');
    // The next turn: a check starts while the first is still on the pool.
    await nextTurn();
    expect(check(burst)).toBe('sync');
    burst.leftPool();
    expect(await budgetOfNextTurn(burst)).toBe(1);
  });
});
