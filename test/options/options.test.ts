/**
 * Option validation and defaults (DESIGN.md "Core API" and item 21): every bad option is a
 * ConfigError listing each problem as a plain sentence naming the option.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/base/errors.js';
import { DEFAULT_ALGORITHMS, resolveOptions, type ResolvedOptions } from '../../src/options/options.js';
import { toMilliseconds } from '../../src/base/duration.js';

const BASE = {
  issuerUrl: 'https://idp.example.com/realms/example',
  audience: 'metrics-api',
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: {
    '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  },
};

type Options = Record<string, unknown>;

function withOptions(changes: Options): Options {
  return { ...BASE, ...changes };
}

function without(key: keyof typeof BASE): Options {
  const copy: Options = { ...BASE };
  delete copy[key];
  return copy;
}

function resolve(changes: Options = {}): ResolvedOptions {
  return resolveOptions(withOptions(changes));
}

/** Resolves `input` and returns the ConfigError it must throw. */
function configError(input: unknown): ConfigError {
  let caught: unknown;
  try {
    resolveOptions(input);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.code).toBe('ERR_TENANTGATE_CONFIG');
  expect(error.problems.length).toBeGreaterThan(0);
  for (const problem of error.problems) expectPlainSentence(problem);
  return error;
}

function expectPlainSentence(problem: string): void {
  expect(problem).toMatch(/\.$/);
  expect(problem).not.toMatch(/"code"\s*:/);
  expect(problem).not.toMatch(/"path"\s*:/);
  expect(problem).not.toMatch(/^\s*[[{]/);
  expect(problem).not.toContain('\n');
  expect(problem.length).toBeGreaterThan(10);
}

/** The problem that names `option` in backticks (`name`, `name.x`, `name[0]`), which must exist. */
function problemAbout(error: ConfigError, option: string): string {
  const found = error.problems.find((problem) => problem.includes(`\`${option}`));
  expect(found, `no problem names \`${option}\` in ${JSON.stringify(error.problems)}`).toBeDefined();
  return found ?? '';
}

// ---------------------------------------------------------------------------------------------

describe('defaults', () => {
  it('matches DESIGN.md exactly', () => {
    const resolved = resolve();
    expect(resolved.issuers).toStrictEqual(['https://idp.example.com/realms/example']);
    expect(resolved.audience).toStrictEqual(['metrics-api']);
    expect(resolved.accessPolicyClaim).toBe('sub');
    expect(resolved.algorithms).toStrictEqual([
      'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
    ]);
    expect(resolved.clockToleranceMs).toBe(30_000);
    expect(resolved.requireTenant).toBe(true);
    expect(resolved.tenantHeader).toBeUndefined();
    expect(resolved.cluster).toBeUndefined();
    expect(resolved.typ).toBeUndefined();
    expect(resolved.credentials).toStrictEqual({ bearer: true, basic: true });
    expect(resolved.cache).toStrictEqual({ ttlMs: 600_000, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
    expect(resolved.jwks).toStrictEqual({ cooldownMs: 30_000, maxAgeMs: 600_000, timeoutMs: 5_000, maxStaleMs: 86_400_000 });
    expect(resolved.allowInsecureHttp).toBe(false);
    expect(resolved.fetch).toBe(globalThis.fetch);
    expect(resolved.onEvent).toBeUndefined();
  });

  it('exports the default algorithm list without Ed25519, HMAC or none', () => {
    expect([...DEFAULT_ALGORITHMS]).toStrictEqual(resolve().algorithms);
    expect(DEFAULT_ALGORITHMS).not.toContain('none');
    expect(DEFAULT_ALGORITHMS.some((alg) => alg.startsWith('HS'))).toBe(false);
  });

  it('gives each call its own algorithms array', () => {
    const first = resolve();
    first.algorithms.push('Ed25519');
    expect(resolve().algorithms).not.toContain('Ed25519');
  });

  it('compiles the regex as RE2 and keeps it unanchored', () => {
    const { accessPolicyRegex } = resolve();
    expect(accessPolicyRegex.exec('xx-pref-1234567890-abc')?.[1]).toBe('1234567890');
    expect(accessPolicyRegex.exec('nothing')).toBeNull();
  });

  it('fills partial nested objects with defaults', () => {
    const resolved = resolve({ cache: { maxEntries: 5 }, jwks: { timeout: '1s' }, credentials: { basic: false } });
    expect(resolved.cache).toStrictEqual({ ttlMs: 600_000, maxEntries: 5, maxBytes: 64 * 1024 * 1024 });
    expect(resolved.jwks).toStrictEqual({ cooldownMs: 30_000, maxAgeMs: 600_000, timeoutMs: 1_000, maxStaleMs: 86_400_000 });
    expect(resolved.credentials).toStrictEqual({ bearer: true, basic: false });
  });
});

describe('accepted values', () => {
  it('takes a list of issuers and a list of audiences', () => {
    const resolved = resolve({
      issuerUrl: ['https://a.example.com', 'https://b.example.com/realms/x'],
      audience: ['one', 'two'],
    });
    expect(resolved.issuers).toStrictEqual(['https://a.example.com', 'https://b.example.com/realms/x']);
    expect(resolved.audience).toStrictEqual(['one', 'two']);
  });

  it('takes audience false to disable the check', () => {
    expect(resolve({ audience: false }).audience).toBe(false);
  });

  it('keeps issuer URLs exactly as given (no trailing-slash normalisation)', () => {
    expect(resolve({ issuerUrl: 'https://idp.example.com/' }).issuers).toStrictEqual(['https://idp.example.com/']);
  });

  it('accepts an access-policy function', () => {
    const store = async (names: string[]) => names.map((name) => ({ name, scopes: [], realms: [] }));
    expect(resolve({ accessPolicies: store }).accessPolicies).toBe(store);
  });

  it('accepts realms with *, clusters, label selectors and a display name', () => {
    const accessPolicies = {
      team1: {
        scopes: ['metrics:read'],
        displayName: 'Team 1',
        realms: [{ tenant: '*' }, { tenant: 'tenant-2', cluster: 'eu', labelSelectors: ['{env="prod"}'] }],
      },
    };
    expect(resolve({ accessPolicies }).accessPolicies).toStrictEqual(accessPolicies);
  });

  it('lowercases the tenant header and keeps other settings', () => {
    const onEvent = () => undefined;
    const fetchImplementation: typeof globalThis.fetch = async () => new Response('{}');
    const resolved = resolve({
      tenantHeader: 'X-Scope-OrgID',
      cluster: 'eu-1',
      typ: 'at+jwt',
      requireTenant: false,
      allowInsecureHttp: true,
      fetch: fetchImplementation,
      onEvent,
    });
    expect(resolved.tenantHeader).toBe('x-scope-orgid');
    expect(resolved.cluster).toBe('eu-1');
    expect(resolved.typ).toBe('at+jwt');
    expect(resolved.requireTenant).toBe(false);
    expect(resolved.allowInsecureHttp).toBe(true);
    expect(resolved.fetch).toBe(fetchImplementation);
    expect(resolved.onEvent).toBe(onEvent);
  });

  it('takes a subset of algorithms, Ed25519 included, and drops repeats', () => {
    expect(resolve({ algorithms: ['ES256', 'Ed25519', 'ES256'] }).algorithms).toStrictEqual(['ES256', 'Ed25519']);
  });

  it.each([
    ['http://127.0.0.1:8080', false],
    ['http://127.0.0.1:8080/realms/x', false],
    ['http://127.1.2.3', false],
    ['http://localhost', false],
    ['http://localhost:3000/', false],
    ['http://[::1]:8080', false],
    ['http://idp.example.com', true],
    ['https://idp.example.com:8443/realms/example', false],
  ] as const)('accepts issuerUrl %s (allowInsecureHttp %s)', (issuerUrl, allowInsecureHttp) => {
    expect(resolve({ issuerUrl, allowInsecureHttp }).issuers).toStrictEqual([issuerUrl]);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['0', 0],
    ['0s', 0],
    [2.5, 2_500],
    [0, 0],
    [60, 60_000],
  ] as const)('%j is %i ms', (value, ms) => {
    expect(toMilliseconds(value)).toBe(ms);
    expect(resolve({ jwks: { maxStale: value } }).jwks.maxStaleMs).toBe(ms);
  });

  it('applies to clockTolerance, cache.ttl and every jwks duration', () => {
    const resolved = resolve({
      clockTolerance: '5m',
      cache: { ttl: '1h' },
      jwks: { cooldown: '1s', maxAge: 90, timeout: '250ms', maxStale: '48h' },
    });
    expect(resolved.clockToleranceMs).toBe(300_000);
    expect(resolved.cache.ttlMs).toBe(3_600_000);
    expect(resolved.jwks).toStrictEqual({ cooldownMs: 1_000, maxAgeMs: 90_000, timeoutMs: 250, maxStaleMs: 172_800_000 });
  });

  it('accepts a clock tolerance of zero', () => {
    expect(resolve({ clockTolerance: 0 }).clockToleranceMs).toBe(0);
  });

  it.each([NaN, Infinity, -Infinity, -1, -0.5, '10x', '', '-1s', '1d', '1 s', 's', '10', '1h 30m', 'ms', null, true, {}, []])(
    'toMilliseconds(%j) is undefined',
    (value) => {
      expect(toMilliseconds(value)).toBeUndefined();
    },
  );
});

describe('ConfigError for every bad option', () => {
  it.each(['issuerUrl', 'audience', 'accessPolicyClaim', 'accessPolicyRegex', 'accessPolicies'] as const)(
    'requires %s',
    (key) => {
      const error = configError(without(key));
      expect(error.problems).toHaveLength(1);
      expect(problemAbout(error, key)).toMatch(/is required/);
    },
  );

  it('requires an object', () => {
    expect(configError(undefined).problems).toStrictEqual(['The options are required: they must be an object.']);
    for (const input of [null, 'options', 42]) {
      const error = configError(input);
      expect(error.problems.join(' ')).toMatch(/The options must be an object; got /);
    }
  });

  it('lists all five required options for {}', () => {
    const error = configError({});
    expect(error.problems).toHaveLength(5);
    for (const key of ['issuerUrl', 'audience', 'accessPolicyClaim', 'accessPolicyRegex', 'accessPolicies']) {
      problemAbout(error, key);
    }
  });

  // [option named in the problem, options changes, optional pattern the sentence must match]
  const invalid: Array<[string, Options, RegExp?]> = [
    ['issuerUrl', { issuerUrl: 5 }],
    ['issuerUrl', { issuerUrl: '' }],
    ['issuerUrl', { issuerUrl: [] }],
    ['issuerUrl', { issuerUrl: [5] }],
    ['issuerUrl', { issuerUrl: 'http://idp.example.com' }, /plain http/],
    ['issuerUrl', { issuerUrl: 'http://idp.example.com', allowInsecureHttp: false }, /allowInsecureHttp/],
    ['issuerUrl', { issuerUrl: ['https://ok.example.com', 'http://idp.example.com'] }, /plain http/],
    ['issuerUrl', { issuerUrl: 'https://idp.example.com/?realm=x' }, /query or fragment/],
    ['issuerUrl', { issuerUrl: 'https://idp.example.com/#x' }, /query or fragment/],
    ['issuerUrl', { issuerUrl: 'https://user:pass@idp.example.com' }, /credentials/],
    ['issuerUrl', { issuerUrl: 'ftp://x' }, /https/],
    ['issuerUrl', { issuerUrl: 'not a url' }, /not a valid URL/],
    ['issuerUrl', { issuerUrl: ['https://a.example.com', 'https://a.example.com'] }, /same issuer twice/],
    ['audience', { audience: [] }],
    ['audience', { audience: '' }],
    ['audience', { audience: true }],
    ['audience', { audience: [''] }],
    ['audience', { audience: 5 }],
    ['accessPolicyClaim', { accessPolicyClaim: '' }],
    ['accessPolicyClaim', { accessPolicyClaim: ['sub'] }],
    ['accessPolicyRegex', { accessPolicyRegex: '(a)\\1' }, /RE2/],
    ['accessPolicyRegex', { accessPolicyRegex: '(?=a)(.*)' }, /RE2/],
    ['accessPolicyRegex', { accessPolicyRegex: '(?=a)' }, /RE2/],
    ['accessPolicyRegex', { accessPolicyRegex: '(?<!a)(.*)' }, /RE2/],
    ['accessPolicyRegex', { accessPolicyRegex: 'abc' }, /capture group/],
    ['accessPolicyRegex', { accessPolicyRegex: '(?:abc)' }, /capture group/],
    ['accessPolicyRegex', { accessPolicyRegex: '[' }, /RE2/],
    ['accessPolicyRegex', { accessPolicyRegex: /pref-(.*)/ }],
    ['accessPolicies', { accessPolicies: 'team1' }],
    ['accessPolicies', { accessPolicies: { team1: { scopes: ['metrics:read'] } } }],
    ['accessPolicies', { accessPolicies: { team1: { scopes: [''], realms: [] } } }],
    ['accessPolicies', { accessPolicies: { team1: { scopes: [], realms: [{ tenant: 'a', extra: 1 }] } } }],
    ['accessPolicies', { accessPolicies: { team1: { scopes: [], realms: [{ tenant: 'bad tenant' }] } } }, /valid tenant ID/],
    ['accessPolicies', { accessPolicies: { team1: { scopes: [], realms: [{ tenant: '__mimir_cluster' }] } } }, /valid tenant ID/],
    ['accessPolicies', { accessPolicies: { team1: { scopes: [], realms: [{ tenant: 'a|b' }] } } }, /valid tenant ID/],
    ['accessPolicies', { accessPolicies: { '': { scopes: [], realms: [] } } }, /empty policy name/],
    ['algorithms', { algorithms: [] }],
    ['algorithms', { algorithms: 'RS256' }],
    ['algorithms', { algorithms: ['HS256'] }, /HMAC/],
    ['algorithms', { algorithms: ['RS256', 'hs512'] }, /HMAC/],
    ['algorithms', { algorithms: ['none'] }, /unsigned/],
    ['algorithms', { algorithms: ['XX'] }, /supported algorithms are/],
    ['algorithms', { algorithms: ['rs256'] }, /supported algorithms are/],
    ['clockTolerance', { clockTolerance: NaN }],
    ['clockTolerance', { clockTolerance: Infinity }],
    ['clockTolerance', { clockTolerance: -1 }],
    ['clockTolerance', { clockTolerance: '10x' }],
    ['clockTolerance', { clockTolerance: '' }],
    ['clockTolerance', { clockTolerance: '-30s' }],
    ['clockTolerance', { clockTolerance: null }],
    ['clockTolerance', { clockTolerance: true }],
    ['clockTolerance', { clockTolerance: '6m' }, /at most 5 minutes/],
    ['clockTolerance', { clockTolerance: 301 }, /at most 5 minutes/],
    ['requireTenant', { requireTenant: 'yes' }],
    ['requireTenant', { requireTenant: null }],
    ['tenantHeader', { tenantHeader: 'bad header' }],
    ['tenantHeader', { tenantHeader: '' }],
    ['tenantHeader', { tenantHeader: 'x-tenant:' }],
    ['tenantHeader', { tenantHeader: 'authorization' }, /authorization/],
    ['tenantHeader', { tenantHeader: 'Authorization' }, /authorization/],
    ['cluster', { cluster: '' }],
    ['cluster', { cluster: 5 }],
    ['typ', { typ: '' }],
    ['credentials', { credentials: { bearer: false, basic: false } }, /bearer, basic or both/],
    ['credentials', { credentials: 'bearer' }],
    ['credentials.bearer', { credentials: { bearer: 'yes' } }],
    ['credentials.basic', { credentials: { basic: 0 } }],
    ['cache', { cache: null }],
    ['cache.ttl', { cache: { ttl: 0 } }, /longer than zero/],
    ['cache.ttl', { cache: { ttl: '0s' } }, /longer than zero/],
    ['cache.ttl', { cache: { ttl: NaN } }],
    ['cache.ttl', { cache: { ttl: -5 } }],
    ['cache.maxEntries', { cache: { maxEntries: 0 } }],
    ['cache.maxEntries', { cache: { maxEntries: 1.5 } }],
    ['cache.maxEntries', { cache: { maxEntries: -1 } }],
    ['cache.maxEntries', { cache: { maxEntries: Infinity } }],
    ['cache.maxEntries', { cache: { maxEntries: NaN } }],
    ['cache.maxEntries', { cache: { maxEntries: '10' } }],
    ['jwks', { jwks: 5 }],
    ['jwks.timeout', { jwks: { timeout: 0 } }, /longer than zero/],
    ['jwks.maxAge', { jwks: { maxAge: 0 } }, /longer than zero/],
    ['jwks.cooldown', { jwks: { cooldown: -1 } }],
    ['jwks.cooldown', { jwks: { cooldown: Infinity } }],
    ['jwks.maxStale', { jwks: { maxStale: '1w' } }],
    ['jwks.maxStale', { jwks: { maxStale: NaN } }],
    ['allowInsecureHttp', { allowInsecureHttp: 'true' }],
    ['fetch', { fetch: 'fetch' }],
    ['onEvent', { onEvent: {} }],
    ['issuerURL', { issuerURL: 'https://idp.example.com' }, /is not an option \(did you mean `issuerUrl`\?\)/],
    ['jwks.cooldwn', { jwks: { cooldwn: '1s' } }, /is not an option/],
    ['cache.TTL', { cache: { TTL: '1s' } }, /did you mean `cache.ttl`\?/],
    ['credentials.jwt', { credentials: { jwt: true } }, /is not an option/],
  ];

  it.each(invalid.map(([option, changes, pattern]) => [option, JSON.stringify(changes) ?? String(changes), changes, pattern] as const))(
    '`%s` from %s',
    (option, _label, changes, pattern) => {
      const error = configError(withOptions(changes));
      const problem = problemAbout(error, option);
      if (pattern !== undefined) expect(problem).toMatch(pattern);
    },
  );

  it('describes unknown keys as "not an option" with a suggestion', () => {
    const error = configError(withOptions({ issuerURL: 'https://idp.example.com' }));
    expect(error.problems).toContain('`issuerURL` is not an option (did you mean `issuerUrl`?).');
  });

  it('suggests the lowercase policy name', () => {
    const error = configError(withOptions({ accessPolicies: { Team1: { scopes: ['metrics:read'], realms: [] } } }));
    const problem = problemAbout(error, 'accessPolicies');
    expect(problem).toContain('"Team1"');
    expect(problem).toContain('"team1"');
  });

  it('suggests the name tokens would produce, lowercased the way Go does', () => {
    const error = configError(withOptions({ accessPolicies: { 'ΟΔΟΣ': { scopes: [], realms: [] }, 'İX': { scopes: [], realms: [] } } }));
    const problems = error.problems.join('\n');
    expect(problems).toContain('"οδοσ"');
    expect(problems).toContain('"ix"');
  });

  it('mentions HMAC for HS256', () => {
    expect(problemAbout(configError(withOptions({ algorithms: ['HS256'] })), 'algorithms')).toMatch(/HMAC/);
  });

  it('says the tenant header cannot be the Authorization header', () => {
    const error = configError(withOptions({ tenantHeader: 'authorization' }));
    expect(error.problems).toStrictEqual(['`tenantHeader` cannot be "authorization".']);
  });

  it('lists several problems at once', () => {
    const error = configError(withOptions({ clockTolerance: 'x', requireTenant: 'yes', cache: { maxEntries: 0 } }));
    expect(error.problems).toHaveLength(3);
    problemAbout(error, 'clockTolerance');
    problemAbout(error, 'requireTenant');
    problemAbout(error, 'cache.maxEntries');
  });

  it('lists schema problems and URL problems together', () => {
    const error = configError(
      withOptions({
        issuerUrl: ['http://idp.example.com', 'http://idp.example.com'],
        audience: '',
        algorithms: ['HS256', 'none'],
        jwks: { timeout: 0, cooldwn: 1 },
        tenantHeader: 'Authorization',
      }),
    );
    // Both copies of the duplicated issuer are reported as plain http, plus the duplicate itself.
    expect(error.problems).toHaveLength(9);
    expect(error.problems.filter((problem) => problem.startsWith('`issuerUrl`'))).toHaveLength(3);
    expect(error.problems.filter((problem) => problem.startsWith('`algorithms'))).toHaveLength(2);
    problemAbout(error, 'audience');
    problemAbout(error, 'jwks.timeout');
    problemAbout(error, 'jwks.cooldwn');
    problemAbout(error, 'tenantHeader');
    expect(error.message).toContain('9 problems');
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it('refuses a function for audience and says what it got', () => {
    const problem = problemAbout(configError(withOptions({ audience: () => 'x' })), 'audience');
    expect(problem).toMatch(/got a function/);
  });

  it('never echoes long values in full', () => {
    const long = 'bad header '.repeat(50);
    const problem = problemAbout(configError(withOptions({ tenantHeader: long })), 'tenantHeader');
    expect(problem).toMatch(/got "bad header/);
    expect(problem).not.toContain(long);
    expect(problem.length).toBeLessThan(300);
  });
});

describe('access-policy problems name their path (rule 24)', () => {
  const policies = (team1: unknown): Options => withOptions({ accessPolicies: { team1 } });

  it.each([
    [
      'a realm given as a string',
      { scopes: ['metrics:read'], realms: ['tenant-1'] },
      '`accessPolicies.team1.realms[0]` must be a realm such as { tenant: "tenant-1" }; got "tenant-1".',
    ],
    [
      'scopes given as one string',
      { scopes: 'metrics:read', realms: [{ tenant: 'tenant-1' }] },
      '`accessPolicies.team1.scopes` must be a list of scope strings; got "metrics:read".',
    ],
    [
      'no realms',
      { scopes: ['metrics:read'] },
      '`accessPolicies.team1.realms` is required: it must be a list of realms such as [{ tenant: "tenant-1" }].',
    ],
    [
      'a realm without its tenant',
      { scopes: [], realms: [{ cluster: 'eu-1' }] },
      '`accessPolicies.team1.realms[0].tenant` is required: it must be a tenant ID or "*".',
    ],
    [
      'a policy that is not an object',
      'metrics:read',
      '`accessPolicies.team1` must be an access policy such as { scopes: ["metrics:read"], realms: [{ tenant: "tenant-1" }] }; got "metrics:read".',
    ],
    [
      'a label selector that is not a string',
      { scopes: [], realms: [{ tenant: 'a', labelSelectors: [5] }] },
      '`accessPolicies.team1.realms[0].labelSelectors[0]` must be a non-empty label selector such as \'{env="prod"}\'; got 5.',
    ],
  ])('%s', (_label, team1, expected) => {
    expect(configError(policies(team1)).problems).toStrictEqual([expected]);
  });

  it('names a misspelt key and the key it most likely meant, at every level', () => {
    const error = configError(policies({ scope: ['metrics:read'], realms: [{ tennant: 'tenant-1' }], display_name: 'Team 1' }));
    expect(error.problems).toStrictEqual([
      '`accessPolicies.team1.scopes` is required: it must be a list of scope strings.',
      '`accessPolicies.team1.realms[0].tenant` is required: it must be a tenant ID or "*".',
      '`accessPolicies.team1.realms[0].tennant` is not an option (did you mean `tenant`?).',
      '`accessPolicies.team1.scope` is not an option (did you mean `scopes`?).',
      '`accessPolicies.team1.display_name` is not an option (did you mean `displayName`?).',
    ]);
  });

  it('lists the problems of every policy, with names that need quoting, next to other options', () => {
    const error = configError(
      withOptions({
        audience: '',
        accessPolicies: {
          '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'bad tenant' }] },
          team2: { scopes: [''], realms: [] },
          Team3: { scopes: [], realms: [] },
        },
      }),
    );
    expect(error.problems).toHaveLength(4);
    problemAbout(error, 'audience');
    expect(problemAbout(error, 'accessPolicies["1234567890"].realms[0].tenant')).toMatch(/not "\*" or a valid tenant ID/);
    problemAbout(error, 'accessPolicies.team2.scopes[0]');
    expect(problemAbout(error, 'accessPolicies` has the policy "Team3"')).toContain('"team3"');
  });

  it('still describes a value that is neither a record nor a function as a whole', () => {
    for (const accessPolicies of ['team1', ['team1'], null, 5]) {
      const problem = problemAbout(configError(withOptions({ accessPolicies })), 'accessPolicies');
      expect(problem).toMatch(/^`accessPolicies` must be a record of access policies keyed by name, or an async function of the names; got /);
    }
  });

  it('keeps the validated policies, not the objects it was given', () => {
    const team1 = { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] };
    const resolved = resolve({ accessPolicies: { team1 } }).accessPolicies as Record<string, unknown>;
    expect(resolved).toStrictEqual({ team1 });
    expect(resolved.team1).not.toBe(team1);
  });
});

describe('"did you mean" hints catch near misses, not only case', () => {
  it.each([
    ['tennantHeader', 'tenantHeader'],
    ['algorithm', 'algorithms'],
    ['accesPolicies', 'accessPolicies'],
    ['audiences', 'audience'],
    ['issuer_url', 'issuerUrl'],
    ['issuer', 'issuers'],
    ['access_policy_claim', 'accessPolicyClaim'],
    ['requireTenat', 'requireTenant'],
  ])('`%s` suggests `%s`', (given, meant) => {
    const error = configError(withOptions({ [given]: 'x' }));
    expect(error.problems).toContain(`\`${given}\` is not an option (did you mean \`${meant}\`?).`);
  });

  it('suggests inside nested options too', () => {
    expect(configError(withOptions({ jwks: { cooldwn: '1s' } })).problems).toStrictEqual([
      '`jwks.cooldwn` is not an option (did you mean `jwks.cooldown`?).',
    ]);
  });

  it.each(['credentials.jwt', 'policies', 'x'])('gives no hint for `%s`, which is close to nothing', (given) => {
    const [parent, key] = given.includes('.') ? given.split('.') : [undefined, given];
    const changes = parent === undefined ? { [given]: true } : { [parent]: { [key ?? '']: true } };
    const problem = problemAbout(configError(withOptions(changes)), given);
    expect(problem).toBe(`\`${given}\` is not an option.`);
  });
});

describe('accessPolicyRegex and Go', () => {
  it.each(['pref-\\C([0-9]+)', '(\\C)', '(a)|\\C', '(x)\\\\\\C'])('refuses %s: Go rejects \\C', (accessPolicyRegex) => {
    const problem = problemAbout(configError(withOptions({ accessPolicyRegex })), 'accessPolicyRegex');
    expect(problem).toMatch(/\\C \(any byte\), which RE2 accepts but Go's regexp, used by GEM, rejects/);
  });

  it('refuses \\C inside a character class, as RE2 itself does', () => {
    expect(problemAbout(configError(withOptions({ accessPolicyRegex: '[\\C](x)' })), 'accessPolicyRegex')).toMatch(/RE2/);
  });

  it.each([
    ['an escaped backslash followed by C', 'pref-\\\\C-(.*)', 'pref-\\C-team1', 'team1'],
    ['\\C quoted between \\Q and \\E', '(\\Q\\C\\E)(.*)', '\\Cteam1', '\\C'],
    ['a \\Q quote left open to the end', '(.*)-\\Q\\C', 'team1-\\C', 'team1'],
  ])('accepts %s', (_label, accessPolicyRegex, value, name) => {
    expect(resolve({ accessPolicyRegex }).accessPolicyRegex.exec(value)?.[1]).toBe(name);
  });

  it('still wants a capture group when a \\Q quote runs to the end', () => {
    expect(problemAbout(configError(withOptions({ accessPolicyRegex: '\\Q(x)' })), 'accessPolicyRegex')).toMatch(/capture group/);
  });
});
