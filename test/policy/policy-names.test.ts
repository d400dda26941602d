import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { claimStrings, lookupClaim } from '../../src/policy/claims.js';
import { AuthError } from '../../src/base/errors.js';
import { compareCodePoints, goLowercase } from '../../src/policy/lowercase.js';
import { extractPolicyNames, MAX_CLAIM_VALUES, PolicyNameMemo } from '../../src/policy/policy-names.js';

const GEM_REGEX = 'pref-([0-9]+)-.*';

function regexOf(pattern: string): RE2 {
  return new RE2(pattern, 'u');
}

/** What extractPolicyNames gives: the names, or the code of the AuthError it threw (checked to be a 403). */
function outcome(claims: Record<string, unknown>, claim: string, pattern: string): readonly string[] | 'policy_not_found' {
  let names: readonly string[];
  try {
    names = extractPolicyNames(claims, claim, regexOf(pattern));
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    const refusal = error as AuthError;
    expect(refusal.status).toBe(403);
    expect(refusal.code).toBe('policy_not_found');
    return 'policy_not_found';
  }
  return names;
}

interface NameCase {
  title: string;
  claims: Record<string, unknown>;
  claim: string;
  regex: string;
  expected: string[] | 'policy_not_found';
}

const many = (count: number): string[] => Array.from({ length: count }, (_, index) => `pref-${index}-x`);
const hugeValue = `pref-42-${'x'.repeat(100 * 1024)}`;

const cases: NameCase[] = [
  // GEM's documented examples
  {
    title: "GEM's example payload",
    claims: JSON.parse('{"sub":"pref-1234567890-abc","name":"John Doe","admin":true}') as Record<string, unknown>,
    claim: 'sub',
    regex: GEM_REGEX,
    expected: ['1234567890'],
  },
  {
    title: "GEM's list form",
    claims: { sub: ['pref-1234567890-abc', 'pref-9876543210-xyz'], name: 'John Doe', admin: true },
    claim: 'sub',
    regex: GEM_REGEX,
    expected: ['1234567890', '9876543210'],
  },
  {
    title: 'a list of one behaves like the string',
    claims: { sub: ['pref-1234567890-abc'] },
    claim: 'sub',
    regex: GEM_REGEX,
    expected: ['1234567890'],
  },
  { title: '(.*) takes the whole value', claims: { groups: 'metrics-admins' }, claim: 'groups', regex: '(.*)', expected: ['metrics-admins'] },
  { title: 'Team1 is lowercased to team1', claims: { sub: 'Team1' }, claim: 'sub', regex: '(.*)', expected: ['team1'] },
  { title: 'a value the regex does not match', claims: { sub: 'user-1234567890' }, claim: 'sub', regex: GEM_REGEX, expected: 'policy_not_found' },
  // anchoring
  { title: 'unanchored: a match in the middle counts', claims: { sub: 'xx pref-1-a' }, claim: 'sub', regex: GEM_REGEX, expected: ['1'] },
  { title: 'unanchored: the leftmost match wins', claims: { sub: 'pref-1-a pref-2-b' }, claim: 'sub', regex: 'pref-([0-9]+)-', expected: ['1'] },
  { title: 'explicit anchors match a whole value', claims: { sub: 'pref-12' }, claim: 'sub', regex: '^pref-(\\d+)$', expected: ['12'] },
  { title: 'explicit ^ refuses a prefix', claims: { sub: 'xx pref-12' }, claim: 'sub', regex: '^pref-(\\d+)$', expected: 'policy_not_found' },
  { title: 'explicit $ refuses a suffix', claims: { sub: 'pref-12-a' }, claim: 'sub', regex: '^pref-(\\d+)$', expected: 'policy_not_found' },
  // which group
  { title: 'alternation: first group did not take part', claims: { sub: 'b' }, claim: 'sub', regex: '(a)|(b)', expected: 'policy_not_found' },
  { title: 'alternation: first group took part', claims: { sub: 'a' }, claim: 'sub', regex: '(a)|(b)', expected: ['a'] },
  { title: 'alternation over a list keeps only group 1 names', claims: { sub: ['b', 'a'] }, claim: 'sub', regex: '(a)|(b)', expected: ['a'] },
  { title: 'optional group absent gives no name', claims: { sub: 'x' }, claim: 'sub', regex: 'x(y)?', expected: 'policy_not_found' },
  { title: 'optional group present gives a name', claims: { sub: 'xy' }, claim: 'sub', regex: 'x(y)?', expected: ['y'] },
  { title: 'empty group () gives no name', claims: { sub: 'anything' }, claim: 'sub', regex: '()', expected: 'policy_not_found' },
  { title: 'empty group in context gives no name', claims: { sub: 'pref--' }, claim: 'sub', regex: 'pref-()-', expected: 'policy_not_found' },
  { title: '(.*) on an empty string gives no name', claims: { sub: '' }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'several groups: the first one is the name', claims: { sub: 'ab' }, claim: 'sub', regex: '(a)(b)', expected: ['a'] },
  { title: 'several groups in a realistic pattern', claims: { sub: 'team-42' }, claim: 'sub', regex: '([a-z]+)-([0-9]+)', expected: ['team'] },
  { title: 'a non-capturing group does not count', claims: { sub: 'ab' }, claim: 'sub', regex: '(?:a)(b)', expected: ['b'] },
  { title: 'named group (?P<name>)', claims: { sub: 'pref-77-x' }, claim: 'sub', regex: 'pref-(?P<policy>\\d+)', expected: ['77'] },
  { title: 'named group (?<name>)', claims: { sub: 'pref-78-x' }, claim: 'sub', regex: 'pref-(?<policy>\\d+)', expected: ['78'] },
  { title: 'case-insensitive flag (?i) matches', claims: { sub: 'pref-7-x' }, claim: 'sub', regex: '(?i)PREF-(\\d+)', expected: ['7'] },
  { title: 'case-insensitive flag: the group is still lowercased', claims: { sub: 'TEAMAlpha' }, claim: 'sub', regex: '(?i)(team[a-z]*)', expected: ['teamalpha'] },
  { title: 'without (?i) the match is case-sensitive', claims: { sub: 'PREF-7-x' }, claim: 'sub', regex: GEM_REGEX, expected: 'policy_not_found' },
  { title: '. stops at a newline like Go', claims: { sub: 'team1\nadmin' }, claim: 'sub', regex: '(.*)', expected: ['team1'] },
  // Unicode lowercasing like Go's strings.ToLower
  { title: 'İSTANBUL gives istanbul (U+0130 -> i)', claims: { sub: 'İSTANBUL' }, claim: 'sub', regex: '(.*)', expected: ['istanbul'] },
  { title: 'ΟΔΟΣ gives οδοσ (no final sigma)', claims: { sub: 'ΟΔΟΣ' }, claim: 'sub', regex: '(.*)', expected: ['οδοσ'] },
  { title: 'ẞ gives ß', claims: { sub: 'ẞ' }, claim: 'sub', regex: '(.*)', expected: ['ß'] },
  { title: 'Kelvin sign gives k', claims: { sub: '\u212A' }, claim: 'sub', regex: '(.*)', expected: ['k'] },
  { title: 'emoji are kept', claims: { sub: '😀Team' }, claim: 'sub', regex: '(.*)', expected: ['😀team'] },
  { title: 'astral uppercase (Deseret) is lowercased', claims: { sub: '\u{10400}' }, claim: 'sub', regex: '(.*)', expected: ['\u{10428}'] },
  { title: 'astral characters around the group', claims: { sub: '😀pref-Ω-😀' }, claim: 'sub', regex: 'pref-(.)-', expected: ['ω'] },
  // dedupe and sort
  { title: 'dedupe after lowercasing', claims: { groups: ['A', 'a'] }, claim: 'groups', regex: '(.*)', expected: ['a'] },
  { title: 'dedupe of equal groups', claims: { sub: ['pref-1-a', 'pref-1-b'] }, claim: 'sub', regex: GEM_REGEX, expected: ['1'] },
  { title: 'sorted', claims: { groups: ['c', 'a', 'b'] }, claim: 'groups', regex: '(.*)', expected: ['a', 'b', 'c'] },
  { title: 'sorted after lowercasing', claims: { groups: ['b', 'A'] }, claim: 'groups', regex: '(.*)', expected: ['a', 'b'] },
  {
    title: 'sorted by code point, not UTF-16 unit',
    claims: { groups: ['\u{1F600}', '\uFF21'] },
    claim: 'groups',
    regex: '(.*)',
    expected: ['\uFF41', '\u{1F600}'],
  },
  // claim lookup
  {
    title: 'nested path realm_access.roles',
    claims: { realm_access: { roles: ['pref-5-a', 'offline_access'] } },
    claim: 'realm_access.roles',
    regex: GEM_REGEX,
    expected: ['5'],
  },
  {
    title: 'Keycloak resource_access path with a dash',
    claims: { resource_access: { 'metrics-api': { roles: ['Team1', 'Team2'] } } },
    claim: 'resource_access.metrics-api.roles',
    regex: '(.*)',
    expected: ['team1', 'team2'],
  },
  {
    title: 'a top-level claim named realm_access.roles wins over the path',
    claims: { 'realm_access.roles': 'pref-1-top', realm_access: { roles: 'pref-2-nested' } },
    claim: 'realm_access.roles',
    regex: GEM_REGEX,
    expected: ['1'],
  },
  { title: 'a path through an array index is not followed', claims: { groups: ['pref-1-a'] }, claim: 'groups.0', regex: GEM_REGEX, expected: 'policy_not_found' },
  {
    title: 'a path through an array of objects is not followed',
    claims: { realm_access: [{ roles: ['pref-1-a'] }] },
    claim: 'realm_access.roles',
    regex: GEM_REGEX,
    expected: 'policy_not_found',
  },
  { title: 'a path through a string is not followed', claims: { sub: 'pref-1-a' }, claim: 'sub.length', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'an empty path segment finds nothing', claims: { a: { b: 'pref-1-a' } }, claim: 'a..b', regex: GEM_REGEX, expected: 'policy_not_found' },
  {
    title: '__proto__ as a claim (own, from JSON.parse) is never followed',
    claims: JSON.parse('{"__proto__":"pref-1-a"}') as Record<string, unknown>,
    claim: '__proto__',
    regex: GEM_REGEX,
    expected: 'policy_not_found',
  },
  { title: 'constructor as an own claim is never followed', claims: { constructor: 'pref-1-a' }, claim: 'constructor', regex: GEM_REGEX, expected: 'policy_not_found' },
  { title: 'constructor inherited from Object.prototype is not a claim', claims: { sub: 'x' }, claim: 'constructor', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'prototype as an own claim is never followed', claims: { prototype: 'pref-1-a' }, claim: 'prototype', regex: GEM_REGEX, expected: 'policy_not_found' },
  {
    title: '__proto__ as a path segment is never followed',
    claims: JSON.parse('{"__proto__":{"roles":"pref-1-a"}}') as Record<string, unknown>,
    claim: '__proto__.roles',
    regex: GEM_REGEX,
    expected: 'policy_not_found',
  },
  {
    title: 'constructor as a path segment is never followed',
    claims: { a: { constructor: { name: 'pref-1-a' } } },
    claim: 'a.constructor.name',
    regex: GEM_REGEX,
    expected: 'policy_not_found',
  },
  {
    title: 'prototype as a path segment is never followed',
    claims: { a: { prototype: 'pref-1-a' } },
    claim: 'a.prototype',
    regex: GEM_REGEX,
    expected: 'policy_not_found',
  },
  { title: 'inherited toString is not a claim', claims: { sub: 'x' }, claim: 'toString', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'inherited members are not followed in a path', claims: { a: { b: 'x' } }, claim: 'a.toString.name', regex: '(.*)', expected: 'policy_not_found' },
  // wrong types
  { title: 'a number', claims: { sub: 1234567890 }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'an object', claims: { sub: { value: 'pref-1-a' } }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'null', claims: { sub: null }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'a boolean', claims: { admin: true }, claim: 'admin', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'a nested array is never stringified', claims: { roles: [['admin']] }, claim: 'roles', regex: '(.*)', expected: 'policy_not_found' },
  {
    title: 'a mixed array keeps only its strings',
    claims: { sub: ['pref-1-a', 5, null, { x: 1 }] },
    claim: 'sub',
    regex: GEM_REGEX,
    expected: ['1'],
  },
  { title: 'numbers in an array are not stringified', claims: { roles: [1, 2, true] }, claim: 'roles', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'an empty array', claims: { sub: [] }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  { title: 'a missing claim', claims: { name: 'John Doe' }, claim: 'sub', regex: '(.*)', expected: 'policy_not_found' },
  // size limits
  {
    title: `${MAX_CLAIM_VALUES} values are accepted`,
    claims: { sub: many(MAX_CLAIM_VALUES) },
    claim: 'sub',
    regex: GEM_REGEX,
    expected: many(MAX_CLAIM_VALUES)
      .map((value) => value.split('-')[1] ?? '')
      .sort(),
  },
  { title: `${MAX_CLAIM_VALUES + 1} values are refused`, claims: { sub: many(MAX_CLAIM_VALUES + 1) }, claim: 'sub', regex: GEM_REGEX, expected: 'policy_not_found' },
  { title: 'a 100 KB value is processed', claims: { sub: hugeValue }, claim: 'sub', regex: GEM_REGEX, expected: ['42'] },
];

describe('extractPolicyNames', () => {
  it('has a table of at least 45 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((entry) => entry.title)).size).toBe(cases.length);
  });

  it.each(cases)('$title', ({ claims, claim, regex, expected }) => {
    expect(outcome(claims, claim, regex)).toEqual(expected);
  });

  it('is `1000` for the documented cap', () => {
    expect(MAX_CLAIM_VALUES).toBe(1000);
  });

  it('throws AuthError instances with a message naming neither token nor values', () => {
    let caught: unknown;
    try {
      extractPolicyNames({ sub: 'secret-value' }, 'sub', regexOf(GEM_REGEX));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthError);
    const refusal = caught as AuthError;
    expect(refusal.code).toBe('policy_not_found');
    expect(refusal.status).toBe(403);
    expect(refusal.message).not.toContain('secret-value');
  });

  it('gives the same answer when the same regex object is reused', () => {
    const regex = regexOf(GEM_REGEX);
    const claims = { sub: ['pref-2-b', 'pref-1-a'] };
    expect(extractPolicyNames(claims, 'sub', regex)).toEqual(['1', '2']);
    expect(extractPolicyNames(claims, 'sub', regex)).toEqual(['1', '2']);
    expect(extractPolicyNames({ sub: 'pref-3-c' }, 'sub', regex)).toEqual(['3']);
  });

  it('does not pollute Object.prototype through a __proto__ claim or path', () => {
    const claims = JSON.parse('{"__proto__":{"polluted":"x"},"sub":"pref-1-a"}') as Record<string, unknown>;
    expect(Object.hasOwn(claims, '__proto__')).toBe(true);
    expect(outcome(claims, '__proto__', '(.*)')).toBe('policy_not_found');
    expect(outcome(claims, '__proto__.polluted', '(.*)')).toBe('policy_not_found');
    expect(outcome(claims, 'sub', GEM_REGEX)).toEqual(['1']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
  });

  it('handles a lone surrogate without throwing anything but AuthError', () => {
    // Go's JSON decoder turns a lone surrogate into U+FFFD; RE2 sees the same.
    expect(outcome({ sub: '\uD800Team' }, 'sub', '(.*)')).toEqual(['\uFFFDteam']);
  });

  it('does not mutate the claims', () => {
    const claims = { sub: ['Pref-2-B', 'pref-1-a', 7] };
    const before = structuredClone(claims);
    extractPolicyNames(claims, 'sub', regexOf('(?i)pref-([0-9]+)'));
    expect(claims).toEqual(before);
  });
});

describe('lookupClaim', () => {
  it('returns an own top-level claim', () => {
    expect(lookupClaim({ sub: 'a' }, 'sub')).toBe('a');
    expect(lookupClaim({ roles: ['a', 'b'] }, 'roles')).toEqual(['a', 'b']);
  });

  it('prefers a top-level claim with a dotted name over the path', () => {
    expect(lookupClaim({ 'a.b': 'top', a: { b: 'nested' } }, 'a.b')).toBe('top');
    expect(lookupClaim({ a: { b: 'nested' } }, 'a.b')).toBe('nested');
  });

  it('follows paths through null-prototype objects', () => {
    const inner: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    inner.roles = ['x'];
    expect(lookupClaim({ realm: inner }, 'realm.roles')).toEqual(['x']);
  });

  it('does not follow paths through arrays, class instances, maps or primitives', () => {
    class Holder {
      roles = ['x'];
    }
    expect(lookupClaim({ a: [{ roles: ['x'] }] }, 'a.0.roles')).toBeUndefined();
    expect(lookupClaim({ a: new Holder() }, 'a.roles')).toBeUndefined();
    expect(lookupClaim({ a: new Map([['roles', ['x']]]) }, 'a.roles')).toBeUndefined();
    expect(lookupClaim({ a: 'text' }, 'a.length')).toBeUndefined();
    expect(lookupClaim({ a: null }, 'a.b')).toBeUndefined();
  });

  it('never follows __proto__, constructor or prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"x":"y"},"constructor":"c","prototype":"p","a":{"__proto__":{"x":"y"}}}') as Record<
      string,
      unknown
    >;
    expect(lookupClaim(parsed, '__proto__')).toBeUndefined();
    expect(lookupClaim(parsed, '__proto__.x')).toBeUndefined();
    expect(lookupClaim(parsed, 'constructor')).toBeUndefined();
    expect(lookupClaim(parsed, 'prototype')).toBeUndefined();
    expect(lookupClaim(parsed, 'a.__proto__.x')).toBeUndefined();
    expect(lookupClaim({ a: {} }, 'a.constructor')).toBeUndefined();
    expect(lookupClaim({}, 'hasOwnProperty')).toBeUndefined();
  });

  it('returns undefined for a missing claim or path', () => {
    expect(lookupClaim({}, 'sub')).toBeUndefined();
    expect(lookupClaim({ a: { b: 1 } }, 'a.c')).toBeUndefined();
    expect(lookupClaim({ a: { b: 1 } }, 'a.b.c')).toBeUndefined();
  });
});

describe('claimStrings', () => {
  it('wraps a string', () => {
    expect(claimStrings('a')).toEqual(['a']);
    expect(claimStrings('')).toEqual(['']);
  });

  it('keeps only the strings of an array, never stringifying', () => {
    expect(claimStrings(['a', 1, null, true, ['b'], { c: 'd' }, 'e'])).toEqual(['a', 'e']);
    expect(claimStrings([])).toEqual([]);
    expect(claimStrings([['admin']])).toEqual([]);
  });

  it('refuses other types', () => {
    expect(claimStrings(undefined)).toBeUndefined();
    expect(claimStrings(null)).toBeUndefined();
    expect(claimStrings(1)).toBeUndefined();
    expect(claimStrings(true)).toBeUndefined();
    expect(claimStrings({ 0: 'a', length: 1 })).toBeUndefined();
  });
});

describe('goLowercase', () => {
  it.each([
    ['Team1', 'team1'],
    ['İSTANBUL', 'istanbul'],
    ['ΟΔΟΣ', 'οδοσ'],
    ['ΣΑΣ', 'σασ'],
    ['ẞ', 'ß'],
    ['\u212A', 'k'],
    ['\u212B', 'å'],
    ['😀A', '😀a'],
    ['\u{10400}', '\u{10428}'],
    ['ǅ', 'ǆ'],
    ['', ''],
  ])('%s -> %s', (input, expected) => {
    expect(goLowercase(input)).toBe(expected);
  });

  it('differs from toLowerCase exactly where Go does', () => {
    expect('İ'.toLowerCase()).toBe('i\u0307');
    expect(goLowercase('İ')).toBe('i');
    expect('ΟΔΟΣ'.toLowerCase()).toBe('οδος');
    expect(goLowercase('ΟΔΟΣ')).toBe('οδοσ');
  });

  it('equals per-code-point toLowerCase except for U+0130', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const expected = [...text].map((character) => (character === '\u0130' ? 'i' : character.toLowerCase())).join('');
        expect(goLowercase(text)).toBe(expected);
      }),
    );
  });

  it('keeps the number of code points, as a simple case mapping does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect([...goLowercase(text)].length).toBe([...text].length);
      }),
    );
  });

  it('agrees with toLowerCase on ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)), maxLength: 40 }), (text) => {
        expect(goLowercase(text)).toBe(text.toLowerCase());
      }),
    );
  });
});

describe('compareCodePoints', () => {
  it('orders by code point, not by UTF-16 unit', () => {
    expect(compareCodePoints('\uFF41', '\u{1F600}')).toBeLessThan(0);
    expect(compareCodePoints('\u{1F600}', '\uFF41')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFF41').toBe(true); // what the default sort would do
  });

  it('orders prefixes first and equal strings as equal', () => {
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
    expect(compareCodePoints('', '')).toBe(0);
  });

  it('agrees with UTF-8 byte order (Go sort.Strings)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), (left, right) => {
        const bytes = Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
        expect(Math.sign(compareCodePoints(left, right))).toBe(bytes);
      }),
    );
  });
});

describe('extractPolicyNames properties', () => {
  const valueArbitrary = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    fc.constantFrom('İSTANBUL', 'ΟΔΟΣ', 'ẞ', '\u212A', 'Team1', 'team1', 'TEAM1', '\uFF21', '\u{1F600}', 'a\nb', ''),
  );
  const valuesArbitrary = fc.array(valueArbitrary, { maxLength: 20 });

  /** The names expected from `values`, given the first group each value yields (or undefined). */
  function expectedNames(values: readonly string[], group: (value: string) => string | undefined): string[] {
    const names = new Set<string>();
    for (const value of values) {
      const name = group(value);
      if (name !== undefined && name !== '') names.add(goLowercase(name));
    }
    return [...names].sort(compareCodePoints);
  }

  function checkInvariants(names: readonly string[]): void {
    for (const name of names) expect(goLowercase(name)).toBe(name);
    expect(new Set(names).size).toBe(names.length);
    for (let index = 1; index < names.length; index += 1) {
      expect(compareCodePoints(names[index - 1] ?? '', names[index] ?? '')).toBeLessThan(0);
    }
  }

  const patterns: Array<[string, (value: string) => string | undefined]> = [
    // RE2's `.` excludes only \n; (.*) is the value up to the first newline.
    ['(.*)', (value) => value.split('\n')[0]],
    ['^([a-zA-Z]+)', (value) => /^[a-zA-Z]+/.exec(value)?.[0]],
  ];

  it.each(patterns)('with %s, names are lowercase, unique, sorted and come from a value', (pattern, group) => {
    const regex = regexOf(pattern);
    fc.assert(
      fc.property(valuesArbitrary, (values) => {
        const expected = expectedNames(values, group);
        let names: readonly string[] | undefined;
        try {
          names = extractPolicyNames({ claim: values }, 'claim', regex);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
          expect((error as AuthError).code).toBe('policy_not_found');
        }
        if (expected.length === 0) {
          expect(names).toBeUndefined();
          return;
        }
        expect(names).toEqual(expected);
        checkInvariants(names ?? []);
        // Each name is the lowercased first group of some value's match.
        for (const name of names ?? []) {
          expect(values.some((value) => {
            const match = regex.exec(value)?.[1];
            return match !== undefined && goLowercase(match) === name;
          })).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same names for a string as for a list holding only it', () => {
    const regex = regexOf('(.*)');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), (value) => {
        fc.pre(!value.startsWith('\n'));
        expect(extractPolicyNames({ sub: value }, 'sub', regex)).toEqual(extractPolicyNames({ sub: [value] }, 'sub', regex));
      }),
    );
  });

  it('does not depend on the order of the values', () => {
    const regex = regexOf('(.*)');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }), (values) => {
        fc.pre(values.some((value) => !value.startsWith('\n')));
        const forward = extractPolicyNames({ sub: values }, 'sub', regex);
        const backward = extractPolicyNames({ sub: [...values].reverse() }, 'sub', regex);
        expect(backward).toEqual(forward);
      }),
    );
  });
});

describe('PolicyNameMemo', () => {
  const outcomeOf = (run: () => readonly string[]): readonly string[] | string => {
    try {
      return run();
    } catch (error) {
      return (error as AuthError).code;
    }
  };

  it.each([GEM_REGEX, '(.*)', '^([a-zA-Z]+)', '(?i)TEAM-([a-z]+)'])('gives the names the regex gives, seen values or not (%s)', (pattern) => {
    const regex = regexOf(pattern);
    const memo = new PolicyNameMemo(regex);
    const values = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('pref-1-x', 'PREF-2-x', 'team-A', 'Team-b', '\uD800pref-3-x', 'İ', ''),
    );
    fc.assert(
      fc.property(fc.array(values, { maxLength: 8 }), (list) => {
        // Twice: the second call reads every value from the memo.
        for (let round = 0; round < 2; round += 1) {
          expect(outcomeOf(() => extractPolicyNames({ groups: list }, 'groups', memo))).toEqual(
            outcomeOf(() => extractPolicyNames({ groups: list }, 'groups', regex)),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays correct past its bounds (many values, long values)', () => {
    const regex = regexOf('^team-([a-z0-9]+)');
    const memo = new PolicyNameMemo(regex);
    for (let index = 0; index < 10_000; index += 1) {
      expect(memo.nameOf(`team-n${index}`)).toBe(`n${index}`);
    }
    expect(memo.nameOf('team-n0')).toBe('n0');
    const long = `team-${'x'.repeat(5000)}`;
    expect(memo.nameOf(long)).toBe('x'.repeat(5000));
    expect(memo.nameOf(long)).toBe('x'.repeat(5000));
    expect(memo.nameOf('nothing')).toBeUndefined();
    expect(memo.nameOf('nothing')).toBeUndefined();
  });

  it('gives tokens with the same one value the same frozen list, which no caller can change', () => {
    const memo = new PolicyNameMemo(regexOf('^team-([a-z0-9]+)'));
    const first = extractPolicyNames({ sub: 'team-ops' }, 'sub', memo);
    const second = extractPolicyNames({ sub: 'team-ops' }, 'sub', memo);
    expect(second).toBe(first);
    expect(first).toEqual(['ops']);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as string[]).push('admin')).toThrow(TypeError);
    expect(extractPolicyNames({ sub: 'team-ops' }, 'sub', memo)).toEqual(['ops']);
    // Several values make a list of their own each time (sorted, deduplicated).
    const several = extractPolicyNames({ groups: ['team-b', 'team-a'] }, 'groups', memo);
    expect(several).toEqual(['a', 'b']);
    expect(extractPolicyNames({ groups: ['team-b', 'team-a'] }, 'groups', memo)).not.toBe(several);
  });
});
