import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuthenticator,
  type AccessPolicy,
  type AccessPolicyStore,
  type AuthEvent,
  type Authenticator,
  type AuthenticatorOptions,
  type AuthResult,
  type NamedAccessPolicy,
} from '../../src/index.js';
import { PolicyResolver, type PolicyResolverOptions } from '../../src/policy/policy-resolver.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

const GEM_REGEX = 'pref-([0-9]+)-.*';
const ONE = 'pref-1234567890-abc';
const TWO = 'pref-9876543210-xyz';

/** GEM's documented example: 1234567890 reads and writes tenant-1, 9876543210 tenant-2 and tenant-3. */
const GEM_POLICIES: Record<string, AccessPolicy> = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }] },
};

let issuer: TestIssuer;
const authenticators: Authenticator[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(authenticators.splice(0).map((auth) => auth.close()));
});

afterAll(async () => {
  await issuer.close();
});

function authenticator(options: Partial<AuthenticatorOptions> = {}): Authenticator {
  const auth = createAuthenticator({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: GEM_REGEX,
    accessPolicies: GEM_POLICIES,
    ...options,
  });
  authenticators.push(auth);
  return auth;
}

function bearer(tenant: string, token: string): { authorization: string } {
  return { authorization: `Bearer ${tenant}:${token}` };
}

function basic(tenant: string, token: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${tenant}:${token}`, 'utf8').toString('base64')}` };
}

/** The AuthError a promise rejects with; fails the test when it resolves or rejects with anything else. */
async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  let outcome: unknown = 'resolved';
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  expect(outcome).toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

/** The AuthError a call throws; fails the test when it returns or throws anything else. */
function thrown(call: () => unknown): AuthError {
  let outcome: unknown = 'returned';
  try {
    call();
  } catch (error) {
    outcome = error;
  }
  expect(outcome).toBeInstanceOf(AuthError);
  return outcome as AuthError;
}

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

/** A store function counting its calls and the names it was asked for. */
function countingStore(policies: Record<string, AccessPolicy>): {
  store: (names: string[]) => Promise<NamedAccessPolicy[]>;
  calls: string[][];
} {
  const calls: string[][] = [];
  const store = async (names: string[]): Promise<NamedAccessPolicy[]> => {
    calls.push([...names]);
    return names.flatMap((name) => {
      const policy = policies[name];
      return policy === undefined ? [] : [{ ...policy, name }];
    });
  };
  return { store, calls };
}

describe("GEM's documented examples through authenticate", () => {
  it('one policy: 1234567890 grants read and write on tenant-1', async () => {
    const auth = authenticator();
    const token = await issuer.sign({ sub: ONE, name: 'John Doe', admin: true });
    const result = await auth.authenticate(bearer('tenant-1', token));
    expect(result.tenant).toBe('tenant-1');
    expect(result.tenants).toEqual(['tenant-1']);
    expect(result.subject).toBe(ONE);
    expect(result.policyNames).toEqual(['1234567890']);
    expect(result.accessPolicy.name).toBe('1234567890');
    expect(result.accessPolicy.virtual).toBe(false);
    expect(result.accessPolicy.scopes).toEqual(['metrics:read', 'metrics:write']);
    expect(result.accessPolicy.tenants).toEqual(['tenant-1']);
    expect(() => auth.authorize(result, { scope: 'metrics:write' })).not.toThrow();
    expect(() => auth.authorize(result, { tenant: 'tenant-1', scope: 'metrics:read' })).not.toThrow();
    const other = thrown(() => auth.authorize(result, { tenant: 'tenant-2', scope: 'metrics:read' }));
    expect(other.code).toBe('tenant_forbidden');
    expect(other.status).toBe(403);
  });

  it('the same token as the Basic password gives the same policy', async () => {
    const auth = authenticator();
    const token = await issuer.sign({ sub: ONE });
    const result = await auth.authenticate(basic('tenant-1', token));
    expect(result.policyNames).toEqual(['1234567890']);
    expect(result.accessPolicy.name).toBe('1234567890');
  });

  it('a list of policies gives a read-only virtual policy over the union of tenants', async () => {
    const auth = authenticator();
    const token = await issuer.sign({ sub: [ONE, TWO], name: 'John Doe', admin: true });
    const result = await auth.authenticate(bearer('tenant-1', token));
    expect(result.subject).toBeUndefined();
    expect(result.policyNames).toEqual(['1234567890', '9876543210']);
    const policy = result.accessPolicy;
    expect(policy.name).toBe('virtual:1234567890,9876543210');
    expect(policy.virtual).toBe(true);
    expect(policy.scopes).toEqual(['metrics:read']);
    expect([...policy.tenants].sort()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);

    for (const tenant of ['tenant-1', 'tenant-2', 'tenant-3', 'tenant-1|tenant-2|tenant-3']) {
      const read = await auth.authenticate(bearer(tenant, token));
      expect(read.tenant).toBe(tenant);
      expect(() => auth.authorize(read, { scope: 'metrics:read' })).not.toThrow();
    }
    const federated = await auth.authenticate(basic('tenant-1|tenant-2|tenant-3', token));
    expect(federated.tenants).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);

    const write = thrown(() => auth.authorize(result, { scope: 'metrics:write' }));
    expect(write.code).toBe('insufficient_scope');
    expect(write.status).toBe(403);
    expect(write.scope).toBe('metrics:write');
    expect(write.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(write.wwwAuthenticate).toContain('scope="metrics:write"');
  });

  it('Team1 in the IdP matches the stored policy team1', async () => {
    const auth = authenticator({
      accessPolicyRegex: '(.*)',
      accessPolicies: { team1: { scopes: ['metrics:read'], realms: [{ tenant: 'team-tenant' }] } },
    });
    const token = await issuer.sign({ sub: 'Team1' });
    const result = await auth.authenticate(bearer('team-tenant', token));
    expect(result.policyNames).toEqual(['team1']);
    expect(result.accessPolicy.name).toBe('team1');
  });

  it('a token naming no policy is refused with 403 policy_not_found', async () => {
    const auth = authenticator();
    const token = await issuer.sign({ sub: 'user-without-policy' });
    const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(error.code).toBe('policy_not_found');
    expect(error.status).toBe(403);
  });
});

describe('tenants', () => {
  it('a tenant the policy does not cover is 403 tenant_forbidden', async () => {
    const auth = authenticator();
    const token = await issuer.sign({ sub: ONE });
    const error = await refusal(auth.authenticate(bearer('tenant-2', token)));
    expect(error.code).toBe('tenant_forbidden');
    expect(error.status).toBe(403);
  });

  it('t1|t2 is allowed only when both are covered', async () => {
    const auth = authenticator({
      accessPolicies: {
        '1': { scopes: ['metrics:read'], realms: [{ tenant: 't1' }, { tenant: 't2' }] },
        '2': { scopes: ['metrics:read'], realms: [{ tenant: 't1' }] },
      },
    });
    const both = await issuer.sign({ sub: 'pref-1-a' });
    const onlyFirst = await issuer.sign({ sub: 'pref-2-a' });
    const ok = await auth.authenticate(bearer('t1|t2', both));
    expect(ok.tenants).toEqual(['t1', 't2']);
    const error = await refusal(auth.authenticate(bearer('t1|t2', onlyFirst)));
    expect(error.code).toBe('tenant_forbidden');
    const reversed = await refusal(auth.authenticate(bearer('t2|t1', onlyFirst)));
    expect(reversed.code).toBe('tenant_forbidden');
    expect((await auth.authenticate(bearer('t1', onlyFirst))).tenants).toEqual(['t1']);
  });

  it('a realm tenant * covers every tenant', async () => {
    const auth = authenticator({
      accessPolicies: { '1': { scopes: ['metrics:read'], realms: [{ tenant: '*' }] } },
    });
    const token = await issuer.sign({ sub: 'pref-1-a' });
    for (const tenant of ['tenant-1', 'anything-else', 'a|b|c']) {
      const result = await auth.authenticate(bearer(tenant, token));
      expect(result.accessPolicy.tenants).toEqual(['*']);
      expect(() => auth.authorize(result, { tenant: 'zzz', scope: 'metrics:read' })).not.toThrow();
    }
  });

  it('a * realm of one constituent makes a virtual policy cover every tenant', async () => {
    const auth = authenticator({
      accessPolicies: {
        '1': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
        '2': { scopes: ['logs:read'], realms: [{ tenant: '*' }] },
      },
    });
    const token = await issuer.sign({ sub: ['pref-1-a', 'pref-2-a'] });
    const result = await auth.authenticate(bearer('elsewhere', token));
    expect(result.accessPolicy.virtual).toBe(true);
    expect([...result.accessPolicy.scopes].sort()).toEqual(['logs:read', 'metrics:read']);
  });

  describe('with the cluster option', () => {
    const policies: Record<string, AccessPolicy> = {
      '1': { scopes: ['metrics:read'], realms: [{ tenant: 't-other', cluster: 'us' }] },
      '2': { scopes: ['metrics:read'], realms: [{ tenant: 't-same', cluster: 'eu' }] },
      '3': { scopes: ['metrics:read'], realms: [{ tenant: 't-none' }] },
      '4': {
        scopes: ['metrics:read'],
        realms: [
          { tenant: 't-mixed', cluster: 'us' },
          { tenant: 't-mixed-eu', cluster: 'eu' },
          { tenant: 't-plain' },
        ],
      },
    };

    it('realms of another cluster do not count', async () => {
      const auth = authenticator({ cluster: 'eu', accessPolicies: policies });
      const token = await issuer.sign({ sub: 'pref-1-a' });
      const error = await refusal(auth.authenticate(bearer('t-other', token)));
      expect(error.code).toBe('tenant_forbidden');
      expect(error.status).toBe(403);
    });

    it('realms of the same cluster count', async () => {
      const auth = authenticator({ cluster: 'eu', accessPolicies: policies });
      const token = await issuer.sign({ sub: 'pref-2-a' });
      const result = await auth.authenticate(bearer('t-same', token));
      expect(result.accessPolicy.tenants).toEqual(['t-same']);
    });

    it('realms without a cluster do not count when cluster is set (DESIGN item 17)', async () => {
      const auth = authenticator({ cluster: 'eu', accessPolicies: policies });
      const token = await issuer.sign({ sub: 'pref-3-a' });
      const error = await refusal(auth.authenticate(bearer('t-none', token)));
      expect(error.code).toBe('tenant_forbidden');
    });

    it('only the realms that count appear in the view', async () => {
      const auth = authenticator({ cluster: 'eu', accessPolicies: policies });
      const token = await issuer.sign({ sub: 'pref-4-a' });
      const result = await auth.authenticate(bearer('t-mixed-eu', token));
      expect(result.accessPolicy.tenants).toEqual(['t-mixed-eu']);
      expect(result.accessPolicy.realms).toEqual([{ tenant: 't-mixed-eu', cluster: 'eu' }]);
      expect((await refusal(auth.authenticate(bearer('t-mixed', token)))).code).toBe('tenant_forbidden');
      expect((await refusal(auth.authenticate(bearer('t-plain', token)))).code).toBe('tenant_forbidden');
    });

    it('without the option, realms of every cluster count', async () => {
      const auth = authenticator({ accessPolicies: policies });
      for (const [name, tenant] of [
        ['1', 't-other'],
        ['2', 't-same'],
        ['3', 't-none'],
      ] as const) {
        const token = await issuer.sign({ sub: `pref-${name}-a` });
        const result = await auth.authenticate(bearer(tenant, token));
        expect(result.accessPolicy.tenants).toEqual([tenant]);
      }
    });
  });
});

describe('label selectors', () => {
  const policies: Record<string, AccessPolicy> = {
    a: {
      scopes: ['metrics:read'],
      realms: [
        { tenant: 't1', labelSelectors: ['{env="prod"}'] },
        { tenant: 't2' },
        { tenant: 't4', labelSelectors: ['{env="prod"}'] },
        { tenant: 't5', labelSelectors: [] },
      ],
    },
    b: {
      scopes: ['metrics:read'],
      realms: [
        { tenant: 't1', labelSelectors: ['{team="x"}', '{env="prod"}'] },
        { tenant: 't2', labelSelectors: ['{team="y"}'] },
        { tenant: '*', labelSelectors: ['{public="true"}'] },
      ],
    },
    c: {
      scopes: ['metrics:read'],
      realms: [
        { tenant: 't1', labelSelectors: ['{c="1"}'] },
        { tenant: 't1', cluster: 'us', labelSelectors: ['{us="only"}'] },
      ],
    },
  };

  it('a single policy gives its own selectors, null when unrestricted, [] when not covered', async () => {
    const { view } = await resolver(policies).resolve(['a']);
    expect(view.selectorsFor('t1')).toEqual(['{env="prod"}']);
    expect(view.selectorsFor('t2')).toBeNull();
    expect(view.selectorsFor('t5')).toBeNull();
    expect(view.selectorsFor('t3')).toEqual([]);
  });

  it('a virtual policy ORs the selectors of every realm for the tenant', async () => {
    const { view } = await resolver(policies).resolve(['a', 'b', 'c']);
    expect(view.virtual).toBe(true);
    expect([...(view.selectorsFor('t1') ?? ['<null>'])].sort()).toEqual(
      ['{c="1"}', '{env="prod"}', '{public="true"}', '{team="x"}', '{us="only"}'].sort(),
    );
    // t2: one realm without selectors makes it unrestricted, whatever the others say.
    expect(view.selectorsFor('t2')).toBeNull();
    // t3: only the * realm applies.
    expect(view.selectorsFor('t3')).toEqual(['{public="true"}']);
    expect([...(view.selectorsFor('t4') ?? ['<null>'])].sort()).toEqual(['{env="prod"}', '{public="true"}']);
  });

  it('a tenant no constituent covers gets []', async () => {
    const { view } = await resolver(policies).resolve(['a', 'c']);
    expect(view.selectorsFor('t9')).toEqual([]);
    expect(view.selectorsFor('t1')).not.toEqual([]);
  });

  it('realms of another cluster contribute no selectors', async () => {
    const { view } = await resolver(policies, { cluster: 'eu' }).resolve(['c']);
    expect(view.selectorsFor('t1')).toEqual([]);
    const us = await resolver(policies, { cluster: 'us' }).resolve(['c']);
    expect(us.view.selectorsFor('t1')).toEqual(['{us="only"}']);
  });

  it('selectorsFor works on the policy of an AuthResult', async () => {
    const auth = authenticator({ accessPolicyRegex: '(.*)', accessPolicies: policies });
    const token = await issuer.sign({ sub: ['a', 'b'] });
    const result = await auth.authenticate(bearer('t1|t3', token));
    expect([...(result.accessPolicy.selectorsFor('t1') ?? ['<null>'])].sort()).toEqual(
      ['{env="prod"}', '{public="true"}', '{team="x"}'].sort(),
    );
    expect(result.accessPolicy.selectorsFor('t3')).toEqual(['{public="true"}']);
  });
});

describe('PolicyResolver', () => {
  it('gives one policy unchanged', async () => {
    const policy = await resolver(GEM_POLICIES).resolve(['9876543210']);
    expect(policy.view.name).toBe('9876543210');
    expect(policy.view.virtual).toBe(false);
    expect(policy.view.scopes).toEqual(['metrics:read', 'metrics:write']);
    expect(policy.view.realms).toEqual([{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }]);
    expect(policy.covers('tenant-2')).toBe(true);
    expect(policy.covers('tenant-1')).toBe(false);
  });

  it('keeps displayName of a single policy', async () => {
    const policy = await resolver({ a: { scopes: ['x:read'], realms: [{ tenant: 't' }], displayName: 'Team A' } }).resolve(['a']);
    expect(policy.view.displayName).toBe('Team A');
  });

  it('passes the names to a store function and keeps only the policies asked for', async () => {
    const calls: string[][] = [];
    const store = async (names: string[]): Promise<NamedAccessPolicy[]> => {
      calls.push([...names]);
      return [
        { name: 'a', scopes: ['m:read', 'm:write'], realms: [{ tenant: 'ta' }] },
        { name: 'b', scopes: ['m:read'], realms: [{ tenant: 'tb' }] },
        { name: 'zzz', scopes: ['m:read', 'm:write'], realms: [{ tenant: '*' }] },
      ];
    };
    const policy = await resolver(store).resolve(['a', 'b']);
    expect(calls).toEqual([['a', 'b']]);
    expect(policy.view.name).toBe('virtual:a,b');
    expect(policy.covers('ta')).toBe(true);
    expect(policy.covers('anything')).toBe(false);
  });

  it('drops names missing from the store', async () => {
    const policy = await resolver(GEM_POLICIES).resolve(['1234567890', '5555555555', '9876543210']);
    expect(policy.view.name).toBe('virtual:1234567890,9876543210');
    expect(policy.view.tenants).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
  });

  it('stays read-only when a token names several policies but only one exists', async () => {
    // AuthResult contract: "virtual when policyNames.length > 1".
    const policy = await resolver(GEM_POLICIES).resolve(['1234567890', '5555555555']);
    expect(policy.view.name).toBe('virtual:1234567890');
    expect(policy.view.virtual).toBe(true);
    expect(policy.view.scopes).toEqual(['metrics:read']);
    expect(policy.view.tenants).toEqual(['tenant-1']);
  });

  it('refuses with 403 policy_not_found when none of the names exist', async () => {
    const error = await refusal(resolver(GEM_POLICIES).resolve(['5555555555', '6666666666']));
    expect(error.code).toBe('policy_not_found');
    expect(error.status).toBe(403);
  });

  it('does not confuse a name holding NUL with two names', async () => {
    const store = { a: { scopes: ['m:read'], realms: [{ tenant: 'ta' }] }, b: { scopes: ['m:read'], realms: [{ tenant: 'tb' }] } };
    const policies = resolver(store);
    const both = await policies.resolve(['a', 'b']);
    expect(both.view.name).toBe('virtual:a,b');
    const error = await refusal(policies.resolve(['a\u0000b']));
    expect(error.code).toBe('policy_not_found');
  });

  it('emits a miss, then hits, on the policy cache', async () => {
    const events: AuthEvent[] = [];
    const policies = resolver(GEM_POLICIES, { emit: (event) => events.push(event) });
    const first = await policies.resolve(['1234567890']);
    const second = await policies.resolve(['1234567890']);
    expect(second).toBe(first);
    expect(events).toEqual([
      { type: 'cache', cache: 'policy', hit: false },
      { type: 'cache', cache: 'policy', hit: true },
    ]);
  });
});

describe('names missing from the store', () => {
  it('are dropped through authenticate', async () => {
    const auth = authenticator({ accessPolicies: { '1234567890': GEM_POLICIES['1234567890'] ?? { scopes: [], realms: [] } } });
    const token = await issuer.sign({ sub: [ONE, TWO] });
    const result = await auth.authenticate(bearer('tenant-1', token));
    expect(result.policyNames).toEqual(['1234567890', '9876543210']);
    expect(result.accessPolicy.tenants).toEqual(['tenant-1']);
    expect(result.accessPolicy.virtual).toBe(true);
    expect(result.accessPolicy.scopes).toEqual(['metrics:read']);
    expect(thrown(() => auth.authorize(result, { scope: 'metrics:write' })).code).toBe('insufficient_scope');
    expect((await refusal(auth.authenticate(bearer('tenant-2', token)))).code).toBe('tenant_forbidden');
  });

  it('none left is 403 policy_not_found', async () => {
    const auth = authenticator({ accessPolicies: { '1111111111': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } } });
    const token = await issuer.sign({ sub: [ONE, TWO] });
    const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(error.code).toBe('policy_not_found');
    expect(error.status).toBe(403);
  });

  it('a NUL inside a name does not reach the policy cached for two names', async () => {
    const auth = authenticator({
      accessPolicyRegex: '(.*)',
      accessPolicies: { a: { scopes: ['m:read'], realms: [{ tenant: 'ta' }] }, b: { scopes: ['m:read'], realms: [{ tenant: 'tb' }] } },
    });
    const legit = await issuer.sign({ sub: ['a', 'b'] });
    expect((await auth.authenticate(bearer('tb', legit))).accessPolicy.name).toBe('virtual:a,b');
    const crafted = await issuer.sign({ sub: 'a\u0000b' });
    const error = await refusal(auth.authenticate(bearer('tb', crafted)));
    expect(error.code).toBe('policy_not_found');
  });
});

describe('an async policy store', () => {
  it('is called once for 1000 concurrent requests with distinct tokens naming the same policies', async () => {
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const count = 1000;
    let misses = 0;
    const auth = authenticator({
      accessPolicies: async (names) => {
        calls.push([...names]);
        await gate;
        return names.flatMap((name) => {
          const policy = GEM_POLICIES[name];
          return policy === undefined ? [] : [{ ...policy, name }];
        });
      },
      onEvent: (event) => {
        // Hold the store until every request has asked for the policy: the calls then overlap.
        if (event.type === 'cache' && event.cache === 'policy' && !event.hit && ++misses === count) release();
      },
    });
    const tokens = await Promise.all(
      Array.from({ length: count }, (_, index) => issuer.sign({ sub: [ONE, TWO], jti: `t-${index}` })),
    );
    expect(new Set(tokens).size).toBe(count);
    const results = await Promise.all(tokens.map((token) => auth.authenticate(bearer('tenant-2', token))));
    expect(calls).toEqual([['1234567890', '9876543210']]);
    expect(misses).toBe(count);
    expect(results.every((result) => result.accessPolicy.name === 'virtual:1234567890,9876543210')).toBe(true);
    expect(new Set(results.map((result) => result.accessPolicy)).size).toBe(1);
  });

  it('is called again for another name set, and again after the TTL', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.UTC(2030, 0, 1);
    vi.setSystemTime(start);
    const { store, calls } = countingStore(GEM_POLICIES);
    const auth = authenticator({ accessPolicies: store, cache: { ttl: '1m' } });
    const first = await issuer.sign({ sub: ONE, jti: 'first' });
    const same = await issuer.sign({ sub: ONE, jti: 'same-names' });
    const other = await issuer.sign({ sub: TWO });

    await auth.authenticate(bearer('tenant-1', first));
    await auth.authenticate(bearer('tenant-1', same));
    expect(calls).toEqual([['1234567890']]);

    await auth.authenticate(bearer('tenant-2', other));
    expect(calls).toEqual([['1234567890'], ['9876543210']]);

    vi.setSystemTime(start + 30_000);
    await auth.authenticate(bearer('tenant-1', first));
    await auth.authenticate(bearer('tenant-1', same));
    expect(calls).toHaveLength(2);

    vi.setSystemTime(start + 61_000);
    const result = await auth.authenticate(bearer('tenant-1', first));
    expect(result.accessPolicy.name).toBe('1234567890');
    expect(calls).toEqual([['1234567890'], ['9876543210'], ['1234567890']]);
    await auth.authenticate(bearer('tenant-1', same));
    expect(calls).toHaveLength(3);
  });

  it('that throws gives 503 policy_store_unavailable with a retry hint, and is not cached', async () => {
    let failing = true;
    let callCount = 0;
    const auth = authenticator({
      accessPolicies: async (names) => {
        callCount += 1;
        if (failing) throw new Error('database down');
        return names.flatMap((name) => {
          const policy = GEM_POLICIES[name];
          return policy === undefined ? [] : [{ ...policy, name }];
        });
      },
    });
    const token = await issuer.sign({ sub: ONE });
    const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(error.code).toBe('policy_store_unavailable');
    expect(error.status).toBe(503);
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(error.message).not.toContain('database down');

    const again = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(again.code).toBe('policy_store_unavailable');
    expect(callCount).toBe(2);

    failing = false;
    const result = await auth.authenticate(bearer('tenant-1', token));
    expect(result.accessPolicy.name).toBe('1234567890');
    expect(callCount).toBe(3);
  });

  const garbage: Array<[string, () => unknown]> = [
    ['not an array', () => ({ name: '1234567890', scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] })],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a string', () => 'policies'],
    ['a policy without scopes', () => [{ name: '1234567890', realms: [{ tenant: 'tenant-1' }] }]],
    ['a policy without realms', () => [{ name: '1234567890', scopes: ['metrics:read'] }]],
    ['a policy without a name', () => [{ scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] }]],
    ['a realm with an invalid tenant', () => [{ name: '1234567890', scopes: ['metrics:read'], realms: [{ tenant: 'tenant 1' }] }]],
    ['a realm with an empty tenant', () => [{ name: '1234567890', scopes: ['metrics:read'], realms: [{ tenant: '' }] }]],
    ['scopes that are not strings', () => [{ name: '1234567890', scopes: [1], realms: [{ tenant: 'tenant-1' }] }]],
    ['an unknown field', () => [{ name: '1234567890', scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }], admin: true }]],
    [
      'a getter that throws',
      () => [
        {
          get name(): string {
            throw new Error('boom');
          },
          scopes: ['metrics:read'],
          realms: [{ tenant: 'tenant-1' }],
        },
      ],
    ],
  ];

  it.each(garbage)('that returns %s gives 503 policy_store_unavailable, never an allow', async (_title, answer) => {
    const store = (async () => answer()) as unknown as AccessPolicyStore;
    const auth = authenticator({ accessPolicies: store });
    const token = await issuer.sign({ sub: ONE });
    const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(error.code).toBe('policy_store_unavailable');
    expect(error.status).toBe(503);
    expect(error.retryAfter).toBeGreaterThan(0);
  });

  it('that throws synchronously or rejects with a non-Error gives 503', async () => {
    const sync = (() => {
      throw new Error('sync');
    }) as unknown as AccessPolicyStore;
    const nonError = (async () => {
      throw 'not an error' as unknown as Error;
    }) as unknown as AccessPolicyStore;
    for (const store of [sync, nonError]) {
      const auth = authenticator({ accessPolicies: store });
      const token = await issuer.sign({ sub: ONE });
      const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
      expect(error.code).toBe('policy_store_unavailable');
      expect(error.status).toBe(503);
    }
  });

  it('that never answers gives 503 after jwks.timeout instead of hanging', async () => {
    const auth = authenticator({
      accessPolicies: () => new Promise<NamedAccessPolicy[]>(() => undefined),
      jwks: { timeout: '100ms' },
    });
    const token = await issuer.sign({ sub: ONE });
    const error = await refusal(auth.authenticate(bearer('tenant-1', token)));
    expect(error.code).toBe('policy_store_unavailable');
    expect(error.status).toBe(503);
  });

  it('a failed store call is shared by concurrent callers but not remembered', async () => {
    let callCount = 0;
    let failing = true;
    const auth = authenticator({
      accessPolicies: async (names) => {
        callCount += 1;
        if (failing) throw new Error('down');
        return names.flatMap((name) => {
          const policy = GEM_POLICIES[name];
          return policy === undefined ? [] : [{ ...policy, name }];
        });
      },
    });
    const token = await issuer.sign({ sub: ONE });
    await refusal(auth.authenticate(bearer('tenant-1', token)));
    failing = false;
    const results = await Promise.all([1, 2, 3].map(() => auth.authenticate(bearer('tenant-1', token))));
    expect(results.map((result) => result.accessPolicy.name)).toEqual(['1234567890', '1234567890', '1234567890']);
    expect(callCount).toBe(2);
  });
});

describe('the verified-token cache keeps the names', () => {
  it('a cached token skips the store within the TTL, and the tenant is still checked every time', async () => {
    const events: AuthEvent[] = [];
    const { store, calls } = countingStore(GEM_POLICIES);
    const auth = authenticator({ accessPolicies: store, onEvent: (event) => events.push(event) });
    const token = await issuer.sign({ sub: ONE });
    const tokenEvents = (): boolean[] =>
      events.flatMap((event) => (event.type === 'cache' && event.cache === 'token' ? [event.hit] : []));

    const first = await auth.authenticate(bearer('tenant-1', token));
    expect(tokenEvents()).toEqual([false]);
    expect(calls).toHaveLength(1);

    const second = await auth.authenticate(bearer('tenant-1', token));
    expect(tokenEvents()).toEqual([false, true]);
    expect(calls).toHaveLength(1);
    expect(second.policyNames).toEqual(first.policyNames);
    expect(second.accessPolicy).toBe(first.accessPolicy);

    const error = await refusal(auth.authenticate(bearer('tenant-2', token)));
    expect(error.code).toBe('tenant_forbidden');
    expect(tokenEvents()).toEqual([false, true, true]);
    const federated = await refusal(auth.authenticate(bearer('tenant-1|tenant-2', token)));
    expect(federated.code).toBe('tenant_forbidden');
    expect(calls).toHaveLength(1);
    const authenticated = events.filter((event) => event.type === 'authenticated');
    expect(authenticated.map((event) => event.type === 'authenticated' && event.cached)).toEqual([false, true]);
  });
});

describe('results are frozen', () => {
  async function authenticated(): Promise<AuthResult> {
    const auth = authenticator({
      accessPolicies: {
        ...GEM_POLICIES,
        '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1', labelSelectors: ['{a="b"}'] }] },
      },
    });
    const token = await issuer.sign({ sub: [ONE, TWO], nested: { roles: ['x'] } });
    return auth.authenticate(bearer('tenant-1', token));
  }

  it('the access policy cannot be changed', async () => {
    const result = await authenticated();
    const policy = result.accessPolicy;
    expect(Object.isFrozen(policy)).toBe(true);
    expect(() => {
      (policy as { name: string }).name = 'admin';
    }).toThrow(TypeError);
    expect(() => {
      (policy as { virtual: boolean }).virtual = false;
    }).toThrow(TypeError);
    expect(() => {
      policy.scopes.push('metrics:write');
    }).toThrow(TypeError);
    expect(() => {
      policy.tenants.push('tenant-9');
    }).toThrow(TypeError);
    expect(() => {
      policy.realms.push({ tenant: '*' });
    }).toThrow(TypeError);
    const realm = policy.realms.find((entry) => entry.tenant === 'tenant-1');
    expect(realm).toBeDefined();
    expect(() => {
      if (realm !== undefined) realm.tenant = '*';
    }).toThrow(TypeError);
    expect(() => {
      realm?.labelSelectors?.push('{}');
    }).toThrow(TypeError);
    expect(() => {
      (policy as { selectorsFor: (tenant: string) => string[] | null }).selectorsFor = () => null;
    }).toThrow(TypeError);
    expect(policy.name).toBe('virtual:1234567890,9876543210');
    expect(policy.scopes).toEqual(['metrics:read']);
    expect(policy.selectorsFor('tenant-1')).toEqual(['{a="b"}']);
    expect([...policy.tenants].sort()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
  });

  it('the claims and policy names cannot be changed', async () => {
    const result = await authenticated();
    const claims = result.claims as Record<string, unknown>;
    expect(Object.isFrozen(claims)).toBe(true);
    expect(() => {
      claims.sub = 'pref-0-admin';
    }).toThrow(TypeError);
    expect(() => {
      claims.extra = true;
    }).toThrow(TypeError);
    expect(() => {
      (claims.sub as string[]).push('pref-0-admin');
    }).toThrow(TypeError);
    expect(() => {
      ((claims.nested as { roles: string[] }).roles).push('admin');
    }).toThrow(TypeError);
    expect(() => {
      result.policyNames.push('0');
    }).toThrow(TypeError);
    expect(claims.sub).toEqual([ONE, TWO]);
    expect(result.policyNames).toEqual(['1234567890', '9876543210']);
  });

  it('mutating the options after createAuthenticator does not change resolved policies', async () => {
    const policies: Record<string, AccessPolicy> = {
      '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] },
    };
    const auth = authenticator({ accessPolicies: policies });
    const token = await issuer.sign({ sub: ONE });
    policies['1234567890']?.realms.push({ tenant: 'tenant-2' });
    policies['1234567890']?.scopes.push('metrics:write');
    const error = await refusal(auth.authenticate(bearer('tenant-2', token)));
    expect(error.code).toBe('tenant_forbidden');
    const result1 = await auth.authenticate(bearer('tenant-1', token));
    expect(result1.accessPolicy.scopes).toEqual(['metrics:read']);
  });
});
