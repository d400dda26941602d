import type { z } from 'zod';
import { closestName } from './near-miss.js';

type Issue = z.core.$ZodIssue;

/**
 * The words for one kind of options: what each value must be and which keys each object
 * takes, both keyed by path pattern. A pattern is the path with list indexes as `[]` and
 * the keys of `records` (free names, such as policy names) as `*`:
 * `accessPolicies.*.realms[].tenant`.
 * @internal
 */
export interface OptionVocabulary {
  /** How the whole is named at the start of a sentence, such as "The options". */
  whole: string;
  /** What each value must be, in words. */
  expected: Readonly<Record<string, string>>;
  /** The keys each object takes, for "did you mean" hints. */
  keys: Readonly<Record<string, readonly string[]>>;
  /** Patterns of records keyed by free names. */
  records?: readonly string[];
  /**
   * Whether a wrong value is quoted (`got "x"`) or only its type is named (`got a string`):
   * values from a store may hold anything, and only options are the caller's own text.
   */
  quoteValues?: boolean;
}

const BOOLEAN = 'true or false';
const DURATION = "a duration such as '30s' or a number of seconds";
const POLICY_KEYS = ['scopes', 'realms', 'displayName'];
const REALM_KEYS = ['tenant', 'cluster', 'labelSelectors'];

/** What each part of an access policy must be, by pattern below the policy itself. */
const POLICY_EXPECTED: Record<string, string> = {
  '': 'an access policy such as { scopes: ["metrics:read"], realms: [{ tenant: "tenant-1" }] }',
  scopes: 'a list of scope strings',
  'scopes[]': 'a non-empty scope string such as "metrics:read"',
  realms: 'a list of realms such as [{ tenant: "tenant-1" }]',
  'realms[]': 'a realm such as { tenant: "tenant-1" }',
  'realms[].tenant': 'a tenant ID or "*"',
  'realms[].cluster': 'a non-empty cluster name',
  'realms[].labelSelectors': 'a list of label selectors such as [\'{env="prod"}\']',
  'realms[].labelSelectors[]': 'a non-empty label selector such as \'{env="prod"}\'',
  displayName: 'a string',
};

/** The policy words placed below `prefix`, the pattern of one policy. */
function policyWords(prefix: string): { expected: Record<string, string>; keys: Record<string, string[]> } {
  const expected: Record<string, string> = {};
  for (const [pattern, words] of Object.entries(POLICY_EXPECTED)) {
    expected[pattern === '' ? prefix : `${prefix}.${pattern}`] = words;
  }
  return { expected, keys: { [prefix]: POLICY_KEYS, [`${prefix}.realms[]`]: REALM_KEYS } };
}

const optionPolicies = policyWords('accessPolicies.*');

/** The options of `createAuthenticator`. @internal */
export const AUTHENTICATOR_OPTIONS: OptionVocabulary = {
  whole: 'The options',
  quoteValues: true,
  records: ['accessPolicies'],
  expected: {
    '': 'an object',
    issuerUrl: 'an issuer URL, or a non-empty list of them',
    audience: 'an audience string, a non-empty list of them, or false to disable the audience check',
    accessPolicyClaim: 'a claim name such as "sub" or a dotted path such as "realm_access.roles"',
    accessPolicyRegex: 'an RE2 pattern with a capture group, such as "(.*)"',
    accessPolicies: 'a record of access policies keyed by name, or an async function of the names',
    algorithms: 'a non-empty list of algorithm names such as ["RS256", "ES256"]',
    clockTolerance: DURATION,
    requireTenant: BOOLEAN,
    tenantHeader: 'an HTTP header name such as "x-scope-orgid"',
    cluster: 'a non-empty string',
    typ: 'a non-empty string such as "at+jwt"',
    credentials: 'an object such as { bearer: true, basic: true }',
    'credentials.bearer': BOOLEAN,
    'credentials.basic': BOOLEAN,
    cache: "an object such as { ttl: '10m', maxEntries: 10000, maxBytes: 67108864 }",
    'cache.maxEntries': 'a whole number of at least 1',
    'cache.maxBytes': 'a whole number of bytes, at least 65536 (64 KiB)',
    jwks: "an object such as { cooldown: '30s', maxAge: '10m' }",
    allowInsecureHttp: BOOLEAN,
    fetch: 'a fetch function',
    onEvent: 'a function',
    ...optionPolicies.expected,
  },
  keys: {
    '': [
      'issuerUrl', 'audience', 'accessPolicyClaim', 'accessPolicyRegex', 'accessPolicies', 'algorithms',
      'clockTolerance', 'requireTenant', 'tenantHeader', 'cluster', 'typ', 'credentials', 'cache', 'jwks',
      'allowInsecureHttp', 'fetch', 'onEvent',
    ],
    credentials: ['bearer', 'basic'],
    cache: ['ttl', 'maxEntries', 'maxBytes'],
    jwks: ['cooldown', 'maxAge', 'timeout', 'maxStale'],
    ...optionPolicies.keys,
  },
};

const storePolicies = policyWords('policies[]');

/** What an `accessPolicies` function returns, described from the path `policies`. @internal */
export const STORE_ANSWER: OptionVocabulary = {
  whole: 'The answer',
  expected: {
    policies: 'a list of access policies, each with its name',
    'policies[].name': 'the policy name, a non-empty string',
    ...storePolicies.expected,
  },
  keys: { ...storePolicies.keys, 'policies[]': [...POLICY_KEYS, 'name'] },
};

/** Turns zod issues into plain sentences naming each option. @internal */
export function describeProblems(issues: readonly Issue[], vocabulary: OptionVocabulary = AUTHENTICATOR_OPTIONS): string[] {
  return issues.flatMap((issue) => {
    const path = formatPath(issue.path);
    const pattern = patternOf(issue.path, vocabulary.records ?? []);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => unknownOption(path, pattern, key, vocabulary));
    }
    const name = path === '' ? vocabulary.whole : `\`${path}\``;
    if (issue.code === 'custom') return [`${name} ${issue.message}.`];
    const expected = Object.hasOwn(vocabulary.expected, pattern) ? vocabulary.expected[pattern] : undefined;
    if (expected !== undefined || issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      const wanted = expected ?? describeZodExpectation(issue);
      if (issue.input === undefined) {
        return [path === '' ? `${name} are required: they must be ${wanted}.` : `${name} is required: it must be ${wanted}.`];
      }
      return [`${name} must be ${wanted}; got ${describeValue(issue.input, vocabulary.quoteValues === true)}.`];
    }
    if (issue.code === 'too_small') {
      return [issue.origin === 'number' ? `${name} must be at least ${issue.minimum}.` : `${name} must not be empty.`];
    }
    return [`${name} is invalid: ${issue.message}.`];
  });
}

/** "`x` is not an option", with the known key it most likely meant. @internal */
export function unknownOption(parent: string, pattern: string, key: string, vocabulary: OptionVocabulary): string {
  const full = parent === '' ? key : `${parent}.${key}`;
  const close = closestName(key, Object.hasOwn(vocabulary.keys, pattern) ? (vocabulary.keys[pattern] ?? []) : []);
  // Deep paths name only the key: repeating `accessPolicies.team1.realms[0].` hides it.
  const shown = close === undefined || parent === '' || /[.[]/.test(parent) ? close : `${parent}.${close}`;
  return `\`${full}\` is not an option${shown === undefined ? '' : ` (did you mean \`${shown}\`?)`}.`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function patternOf(path: readonly PropertyKey[], records: readonly string[]): string {
  let pattern = '';
  for (const segment of path) {
    if (typeof segment === 'number') pattern += '[]';
    else {
      const key = records.includes(pattern) ? '*' : String(segment);
      pattern += pattern === '' ? key : `.${key}`;
    }
  }
  return pattern;
}

function describeZodExpectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return `of type ${issue.expected}`;
  return 'a valid value';
}

/** The value in a few words: quoted when allowed, cut at 60 characters. @internal */
export function describeValue(value: unknown, quote = true): string {
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (!quote) return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  }
  return `a value of type ${typeof value}`;
}
