import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

const BOOLEAN = 'true or false';
const DURATION = "a duration such as '30s' or a number of seconds";

/** What each option must be, in words, for type errors. */
const EXPECTED: Record<string, string> = {
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
  cache: "an object such as { ttl: '10m', maxEntries: 10000 }",
  'cache.maxEntries': 'a whole number of at least 1',
  jwks: "an object such as { cooldown: '30s', maxAge: '10m' }",
  allowInsecureHttp: BOOLEAN,
  fetch: 'a fetch function',
  onEvent: 'a function',
};

/** Turns zod issues into plain sentences naming each option. @internal */
export function describeProblems(issues: readonly Issue[]): string[] {
  return issues.flatMap((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => unknownOption(path, key));
    }
    const name = path === '' ? 'The options' : `\`${path}\``;
    if (issue.code === 'custom') return [`${name} ${issue.message}.`];
    const expected = EXPECTED[path];
    if (expected !== undefined || issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      const wanted = expected ?? describeZodExpectation(issue);
      return issue.input === undefined
        ? [path === '' ? `${name} are required: they must be ${wanted}.` : `${name} is required: it must be ${wanted}.`]
        : [`${name} must be ${wanted}; got ${describeValue(issue.input)}.`];
    }
    if (issue.code === 'too_small') {
      return [issue.origin === 'number' ? `${name} must be at least ${issue.minimum}.` : `${name} must not be empty.`];
    }
    return [`${name} is invalid: ${issue.message}.`];
  });
}

const OPTION_NAMES: Record<string, string[]> = {
  '': Object.keys(EXPECTED).filter((key) => key !== '' && !key.includes('.')),
  credentials: ['bearer', 'basic'],
  cache: ['ttl', 'maxEntries'],
  jwks: ['cooldown', 'maxAge', 'timeout', 'maxStale'],
};

function unknownOption(parent: string, key: string): string {
  const full = parent === '' ? key : `${parent}.${key}`;
  const known = OPTION_NAMES[parent] ?? [];
  const close = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  const hint = close === undefined ? '' : ` (did you mean \`${parent === '' ? close : `${parent}.${close}`}\`?)`;
  return `\`${full}\` is not an option${hint}.`;
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

function describeZodExpectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return `of type ${issue.expected}`;
  return 'a valid value';
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  }
  if (Array.isArray(value)) return 'a list';
  return `a value of type ${typeof value}`;
}
