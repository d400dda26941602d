// PolicyResolver.invalidate(): after a store's policies change, no resolution made before is
// reused, neither from the cache nor from a cached token entry (which reads only `untilMs`);
// and the memo by name behind `cached()`, which must never outlive the cache's own answer.
import { describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../../src/base/events.js';
import type { AccessPolicyStore, NamedAccessPolicy } from '../../src/policy/access-policy.js';
import { PolicyResolver, type PolicyResolverOptions } from '../../src/policy/policy-resolver.js';

function resolver(store: AccessPolicyStore, overrides: Partial<PolicyResolverOptions> = {}): PolicyResolver {
  return new PolicyResolver({
    store,
    cluster: undefined,
    ttlMs: 60_000,
    maxEntries: 100,
    maxBytes: 64 * 1024 * 1024,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    emit: undefined,
    ...overrides,
  });
}

/** A store answering every name with a policy on `tenant`, counting its calls. */
function storeOn(state: { tenant: string; calls: number }): AccessPolicyStore {
  return async (names) => {
    state.calls += 1;
    return names.map((name): NamedAccessPolicy => ({ name, scopes: ['metrics:read'], realms: [{ tenant: state.tenant }] }));
  };
}

describe('PolicyResolver.invalidate', () => {
  it('ends every resolution handed out and resolves again from the store', async () => {
    const state = { tenant: 'tenant-1', calls: 0 };
    const policies = resolver(storeOn(state));
    const before = await policies.resolve(['team1']);
    expect(before.untilMs).toBeGreaterThan(Date.now());
    expect(policies.cached(['team1'])).toBe(before);
    state.tenant = 'tenant-2';
    policies.invalidate();
    expect(before.untilMs).toBe(0);
    expect(policies.cached(['team1'])).toBeUndefined();
    const after = await policies.resolve(['team1']);
    expect(after.view.tenants).toEqual(['tenant-2']);
    expect(state.calls).toBe(2);
  });

  it('does not keep an answer the store gave while it changed', async () => {
    let answer: (policies: NamedAccessPolicy[]) => void = () => {};
    let calls = 0;
    const lifetime = new AbortController();
    const policies = resolver(() => {
      calls += 1;
      return new Promise<NamedAccessPolicy[]>((resolve) => {
        answer = resolve;
      });
    }, { signal: lifetime.signal });
    const pending = policies.resolve(['team1']);
    await Promise.resolve();
    policies.invalidate();
    // A request after the change must not join the call made before it.
    const later = policies.resolve(['team1']);
    expect(calls).toBe(2);
    answer([{ name: 'team1', scopes: [], realms: [{ tenant: 'new' }] }]);
    const resolved = await later;
    expect(resolved.view.tenants).toEqual(['new']);
    expect(policies.cached(['team1'])).toBe(resolved);
    expect(calls).toBe(2);
    // The first call never answers: closing settles it.
    lifetime.abort();
    await expect(pending).rejects.toMatchObject({ code: 'policy_store_unavailable' });
  });

  it('ends a resolution the cache evicts, since invalidate() could no longer reach it', async () => {
    const state = { tenant: 'tenant-1', calls: 0 };
    const policies = resolver(storeOn(state), { maxEntries: 1 });
    const first = await policies.resolve(['a']);
    await policies.resolve(['b']);
    expect(first.untilMs).toBe(0);
  });

  it('reaches resolutions too large for the cache', async () => {
    const big = Array.from({ length: 2000 }, (_, index) => ({ tenant: `tenant-${index}` }));
    const policies = resolver(async (names) => names.map((name) => ({ name, scopes: [], realms: big })), { maxBytes: 64 * 1024 });
    const large = await policies.resolve(['team1']);
    expect(policies.cached(['team1'])).toBeUndefined();
    expect(large.untilMs).toBeGreaterThan(Date.now());
    policies.invalidate();
    expect(large.untilMs).toBe(0);
  });
});

describe('PolicyResolver.cached for one name (the memo by name)', () => {
  it('answers from the memo only while the cache holds the policy', async () => {
    const state = { tenant: 'tenant-1', calls: 0 };
    const policies = resolver(storeOn(state), { maxEntries: 1 });
    const first = await policies.resolve(['team1']);
    // Another list holding the same name finds it: the memo is by name, not by list.
    expect(policies.cached(['team1'])).toBe(first);
    expect(policies.cached(['team1'])).toBe(first);
    // A second resolution evicts the first from a one-entry cache: the memo must not outlive it.
    await policies.resolve(['team2']);
    expect(first.untilMs).toBe(0);
    expect(policies.cached(['team1'])).toBeUndefined();
    expect(policies.cached(['team2'])?.view.name).toBe('team2');
  });

  it('does not answer past the TTL', async () => {
    vi.useFakeTimers();
    try {
      const policies = resolver(storeOn({ tenant: 'tenant-1', calls: 0 }), { ttlMs: 1_000 });
      const policy = await policies.resolve(['team1']);
      expect(policies.cached(['team1'])).toBe(policy);
      vi.advanceTimersByTime(1_000);
      expect(policies.cached(['team1'])).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a hit from the memo like one from the cache, and forgets everything on clear', async () => {
    const events: AuthEvent[] = [];
    const policies = resolver(storeOn({ tenant: 'tenant-1', calls: 0 }), { emit: (event) => events.push(event) });
    await policies.resolve(['team1']);
    events.length = 0;
    policies.cached(['team1']);
    policies.cached(['team1']);
    expect(events).toEqual([
      { type: 'cache', cache: 'policy', hit: true },
      { type: 'cache', cache: 'policy', hit: true },
    ]);
    policies.clear();
    expect(policies.cached(['team1'])).toBeUndefined();
  });

  it('keeps lists of several names on the JSON key', async () => {
    const policies = resolver(storeOn({ tenant: 'tenant-1', calls: 0 }));
    const both = await policies.resolve(['team1', 'team2']);
    expect(policies.cached(['team1', 'team2'])).toBe(both);
    expect(policies.cached(['team1'])).toBeUndefined();
  });
});
