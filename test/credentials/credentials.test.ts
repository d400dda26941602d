/**
 * Credential parsing (DESIGN.md items 1-3): `Bearer <tenant>:<jwt>`, `Basic base64(<tenant>:<jwt>)`,
 * tenant IDs and federation, the tenant header, and the JWS compact shape check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkTokenShape,
  MAX_AUTHORIZATION_LENGTH,
  parseCredentials,
  readCredentials,
  splitTenants,
  type CredentialRules,
  type Credentials,
  type CredentialsInput,
} from '../../src/credentials/credentials.js';
import { AuthError, type AuthErrorCode } from '../../src/base/errors.js';
import { MAX_TENANT_ID_LENGTH, tenantIdProblem } from '../../src/credentials/tenant-id.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const DEFAULT_RULES: CredentialRules = { bearer: true, basic: true, dpop: 'off', requireTenant: true, tenantHeader: undefined };
const OPTIONAL_TENANT: Partial<CredentialRules> = { requireTenant: false };
const WITH_HEADER: Partial<CredentialRules> = { tenantHeader: 'x-scope-orgid' };

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const b64 = (text: string | Uint8Array): string =>
  (typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text)).toString('base64');

/** A real-looking JWS: base64url header and payload, and a base64url "signature". */
const JWT = [
  b64url('{"alg":"RS256","typ":"JWT","kid":"k1"}'),
  b64url('{"sub":"pref-1234567890-abc","exp":4102444800}'),
  'Q2lnbmF0dXJlLXNpZ25hdHVyZV9zaWduYXR1cmU',
].join('.');
const FAKE = 'aaa.bbb.ccc';

const ALL_SPECIALS = "!-_.*'()";
const T150 = 'a'.repeat(150);
const T151 = 'a'.repeat(151);

const bearer = (tenant: string, token = JWT): string => `Bearer ${tenant}:${token}`;
const basic = (tenant: string, token = JWT): string => `Basic ${b64(`${tenant}:${token}`)}`;

/** An Authorization header of exactly `length` characters with a well-formed token. */
function headerOfLength(length: number): string {
  const prefix = 'Bearer t1:aaa.bbb.';
  return prefix + 'c'.repeat(length - prefix.length);
}

type Expected =
  | { ok: Credentials }
  | { code: AuthErrorCode; status: number; message?: string | RegExp };

interface Case {
  name: string;
  input: CredentialsInput;
  rules?: Partial<CredentialRules>;
  expected: Expected;
}

const ok = (scheme: Credentials['scheme'], tenant: string | undefined, tenants: string[], token = JWT): Expected => ({
  ok: { scheme, tenant, tenants, token, proof: undefined },
});
const bad = (message?: string | RegExp): Expected => ({ code: 'invalid_request', status: 400, message });
const badToken = (message?: string | RegExp): Expected => ({ code: 'invalid_token', status: 401, message });
const missing: Expected = { code: 'credentials_missing', status: 401, message: 'no credentials were sent' };

const auth = (authorization: CredentialsInput['authorization']): CredentialsInput => ({ authorization });

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const cases: Case[] = [
  // --- Bearer, accepted -----------------------------------------------------------------------
  { name: 'Bearer tenant:jwt', input: auth(bearer('tenant-1')), expected: ok('bearer', 'tenant-1', ['tenant-1']) },
  { name: 'lowercase bearer', input: auth(`bearer t1:${JWT}`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'uppercase BEARER', input: auth(`BEARER t1:${JWT}`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'mixed case bEaReR', input: auth(`bEaReR t1:${JWT}`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'fake three-segment JWT', input: auth(bearer('t1', FAKE)), expected: ok('bearer', 't1', ['t1'], FAKE) },
  { name: 'two spaces after the scheme (1*SP)', input: auth(`Bearer  t:x.y.z`), expected: ok('bearer', 't', ['t'], 'x.y.z') },
  { name: 'five spaces after the scheme', input: auth(`Bearer     t1:${JWT}`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'trailing spaces', input: auth(`Bearer t1:${JWT}   `), expected: ok('bearer', 't1', ['t1']) },
  { name: 'leading spaces', input: auth(`   Bearer t1:${JWT}`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'leading and trailing tabs', input: auth(`\tBearer t1:${JWT}\t`), expected: ok('bearer', 't1', ['t1']) },
  { name: 'mixed trailing tab and spaces', input: auth(`Bearer t1:${JWT} \t `), expected: ok('bearer', 't1', ['t1']) },
  { name: 'federated a|b', input: auth(bearer('a|b')), expected: ok('bearer', 'a|b', ['a', 'b']) },
  { name: 'federated a|a is deduplicated', input: auth(bearer('a|a')), expected: ok('bearer', 'a|a', ['a']) },
  { name: 'federated a|b|a keeps first-seen order', input: auth(bearer('a|b|a')), expected: ok('bearer', 'a|b|a', ['a', 'b']) },
  { name: 'federated three tenants', input: auth(bearer('t1|t2|t3')), expected: ok('bearer', 't1|t2|t3', ['t1', 't2', 't3']) },
  { name: 'tenant of 150 characters', input: auth(bearer(T150)), expected: ok('bearer', T150, [T150]) },
  { name: "every allowed special character !-_.*'()", input: auth(bearer(ALL_SPECIALS)), expected: ok('bearer', ALL_SPECIALS, [ALL_SPECIALS]) },
  { name: 'tenant "..." (only . and .. are reserved)', input: auth(bearer('...')), expected: ok('bearer', '...', ['...']) },
  { name: 'tenant "__mimir_cluster2"', input: auth(bearer('__mimir_cluster2')), expected: ok('bearer', '__mimir_cluster2', ['__mimir_cluster2']) },
  { name: 'tenant "*" is a valid tenant ID', input: auth(bearer('*')), expected: ok('bearer', '*', ['*']) },
  { name: 'mixed-case and digits tenant', input: auth(bearer('Team-42_prod')), expected: ok('bearer', 'Team-42_prod', ['Team-42_prod']) },
  { name: 'token of only - and _', input: auth(bearer('t1', '-_.-_.-_')), expected: ok('bearer', 't1', ['t1'], '-_.-_.-_') },
  { name: 'plain bearer with requireTenant false', input: auth(`Bearer ${JWT}`), rules: OPTIONAL_TENANT, expected: ok('bearer', undefined, []) },
  { name: 'tenant:jwt with requireTenant false', input: auth(bearer('t1')), rules: OPTIONAL_TENANT, expected: ok('bearer', 't1', ['t1']) },
  { name: 'array of one header', input: auth([bearer('t1')]), expected: ok('bearer', 't1', ['t1']) },
  { name: 'basic disabled does not affect bearer', input: auth(bearer('t1')), rules: { basic: false }, expected: ok('bearer', 't1', ['t1']) },
  {
    name: `header of exactly ${MAX_AUTHORIZATION_LENGTH} characters`,
    input: auth(headerOfLength(16384)),
    expected: ok('bearer', 't1', ['t1'], headerOfLength(16384).slice('Bearer t1:'.length)),
  },

  // --- Bearer, refused ------------------------------------------------------------------------
  { name: 'plain bearer with requireTenant true', input: auth(`Bearer ${JWT}`), expected: bad(/tenant is missing/) },
  { name: 'just "Bearer"', input: auth('Bearer'), expected: bad('Bearer credentials are empty') },
  { name: '"Bearer " with a trailing space', input: auth('Bearer '), expected: bad('Bearer credentials are empty') },
  { name: '"Bearer" followed by spaces only', input: auth('Bearer    '), expected: bad('Bearer credentials are empty') },
  { name: 'tab between scheme and credentials (RFC 7235 allows SP only)', input: auth(`Bearer\tt1:${JWT}`), expected: bad(/scheme is not supported/) },
  { name: 'empty token after the tenant', input: auth('Bearer t1:'), expected: bad('the token is empty') },
  { name: 'empty tenant before the colon', input: auth(`Bearer :${JWT}`), expected: bad(/is empty/) },
  { name: 'empty tenant before the colon, requireTenant false', input: auth(`Bearer :${JWT}`), rules: OPTIONAL_TENANT, expected: bad(/is empty/) },
  { name: 'federated a||b', input: auth(bearer('a||b')), expected: bad(/in the list is empty/) },
  { name: 'federated |a', input: auth(bearer('|a')), expected: bad(/is empty/) },
  { name: 'federated a|', input: auth(bearer('a|')), expected: bad(/is empty/) },
  { name: 'tenant "|"', input: auth(bearer('|')), expected: bad(/is empty/) },
  { name: 'tenant "."', input: auth(bearer('.')), expected: bad(/may not be "\."/) },
  { name: 'tenant ".."', input: auth(bearer('..')), expected: bad(/may not be "\.\."/) },
  { name: 'tenant "." inside a federated list', input: auth(bearer('a|.')), expected: bad(/may not be/) },
  { name: 'tenant of 151 characters', input: auth(bearer(T151)), expected: bad(/longer than 150 characters/) },
  { name: 'tenant "__mimir_cluster"', input: auth(bearer('__mimir_cluster')), expected: bad(/is reserved/) },
  { name: '__mimir_cluster inside a federated list', input: auth(bearer('a|__mimir_cluster')), expected: bad(/is reserved/) },
  { name: 'non-ASCII tenant "tenänt"', input: auth(bearer('tenänt')), expected: bad(/may only contain/) },
  { name: 'space in the tenant', input: auth(bearer('ten ant')), expected: bad(/may only contain/) },
  { name: 'slash in the tenant', input: auth(bearer('a/b')), expected: bad(/may only contain/) },
  { name: 'tab after the scheme separator', input: auth(`Bearer \tt1:${JWT}`), expected: bad(/may only contain/) },
  { name: 'JWT with = padding', input: auth(bearer('t1', 'aaa=.bbb.ccc')), expected: badToken(/compact form/) },
  { name: 'JWT with trailing = padding', input: auth(bearer('t1', `${FAKE}==`)), expected: badToken(/compact form/) },
  { name: 'JWT with a space inside', input: auth(bearer('t1', 'aaa.b bb.ccc')), expected: badToken(/compact form/) },
  { name: 'JWT with two segments', input: auth(bearer('t1', 'aaa.bbb')), expected: badToken(/compact form/) },
  { name: 'JWT with four segments', input: auth(bearer('t1', 'aaa.bbb.ccc.ddd')), expected: badToken(/compact form/) },
  { name: 'JWT with one segment', input: auth(bearer('t1', 'aaabbbccc')), expected: badToken(/compact form/) },
  { name: 'JWT with an empty signature (unsecured shape)', input: auth(bearer('t1', 'aaa.bbb.')), expected: badToken(/compact form/) },
  { name: 'JWT with an empty middle segment', input: auth(bearer('t1', 'aaa..ccc')), expected: badToken(/compact form/) },
  { name: 'JWT with standard base64 + and /', input: auth(bearer('t1', 'a+a.b/b.ccc')), expected: badToken(/compact form/) },
  { name: 'five-segment JWE', input: auth(bearer('t1', 'aaa.bbb.ccc.ddd.eee')), expected: badToken(/JWE/) },
  { name: 'five-segment JWE with empty encrypted key (dir)', input: auth(bearer('t1', 'aaa..ccc.ddd.eee')), expected: badToken(/JWE/) },
  { name: 'JWS JSON serialization', input: auth(bearer('t1', '{"payload":"e30","signatures":[]}')), expected: badToken(/compact form/) },
  { name: 'second colon stays in the token', input: auth('Bearer t:a.b:c'), expected: badToken(/compact form/) },
  { name: 'bearer disabled', input: auth(bearer('t1')), rules: { bearer: false }, expected: bad(/not supported here; send Basic credentials$/) },

  // --- Basic, accepted ------------------------------------------------------------------------
  { name: 'Basic tenant:jwt', input: auth(basic('tenant-1')), expected: ok('basic', 'tenant-1', ['tenant-1']) },
  { name: 'uppercase BASIC', input: auth(`BASIC ${b64(`t1:${JWT}`)}`), expected: ok('basic', 't1', ['t1']) },
  { name: 'mixed case bAsIc', input: auth(`bAsIc ${b64(`t1:${JWT}`)}`), expected: ok('basic', 't1', ['t1']) },
  { name: 'Basic with several spaces and trailing whitespace', input: auth(`Basic   ${b64(`t1:${JWT}`)} \t`), expected: ok('basic', 't1', ['t1']) },
  { name: 'Basic without padding needed', input: auth('Basic dDE6YS5iLmNk'), expected: ok('basic', 't1', ['t1'], 'a.b.cd') },
  { name: 'Basic with one = of padding', input: auth('Basic dDE6YS5iLmM='), expected: ok('basic', 't1', ['t1'], 'a.b.c') },
  { name: 'Basic with two = of padding', input: auth('Basic dDE6YS5iLmNkZQ=='), expected: ok('basic', 't1', ['t1'], 'a.b.cde') },
  { name: 'Basic federated a|b', input: auth(basic('a|b')), expected: ok('basic', 'a|b', ['a', 'b']) },
  { name: 'Basic with specials in the tenant', input: auth(basic(ALL_SPECIALS)), expected: ok('basic', ALL_SPECIALS, [ALL_SPECIALS]) },
  { name: 'Basic with empty username, requireTenant false', input: auth(basic('')), rules: OPTIONAL_TENANT, expected: ok('basic', undefined, []) },
  { name: 'bearer disabled does not affect basic', input: auth(basic('t1')), rules: { bearer: false }, expected: ok('basic', 't1', ['t1']) },

  // --- Basic, refused -------------------------------------------------------------------------
  { name: 'Basic without a colon', input: auth(`Basic ${b64(`t1${JWT}`)}`), expected: bad('Basic credentials must be <tenant>:<jwt>') },
  { name: 'Basic with empty username, requireTenant true', input: auth(basic('')), expected: bad(/tenant is missing/) },
  { name: 'Basic with empty password', input: auth(`Basic ${b64('t1:')}`), expected: bad('the token is empty') },
  { name: 'Basic with only a colon', input: auth(`Basic ${b64(':')}`), rules: OPTIONAL_TENANT, expected: bad('the token is empty') },
  { name: 'just "Basic"', input: auth('Basic'), expected: bad('Basic credentials are empty') },
  { name: 'Basic with characters outside base64', input: auth('Basic !!!!'), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with junk Buffer would skip', input: auth('Basic YWRta W46c!!GFzcw'), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic without its padding', input: auth('Basic dDE6YS5iLmM'), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with the base64url alphabet (_)', input: auth('Basic dDE6YS5iLj8_Pg=='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with the base64url alphabet (-)', input: auth('Basic dDE6fn5-LmIuYw=='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with non-zero padding bits (==)', input: auth('Basic dDE6YS5iLmNkZR=='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with non-zero padding bits (=)', input: auth('Basic dDE6YS5iLmN='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with padding in the middle', input: auth('Basic YQ==YQ=='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with a length that is not a multiple of four', input: auth('Basic dDE6YS5iLmM=='), expected: bad('Basic credentials are not valid base64') },
  { name: 'Basic with invalid UTF-8 bytes', input: auth(`Basic ${b64(Uint8Array.from([0x74, 0x31, 0x3a, 0xff, 0xfe, 0x61]))}`), expected: bad('Basic credentials are not valid UTF-8') },
  { name: 'Basic with an overlong UTF-8 encoding', input: auth(`Basic ${b64(Uint8Array.from([0x74, 0xc0, 0xaf, 0x3a, 0x61, 0x2e, 0x62, 0x2e, 0x63]))}`), expected: bad('Basic credentials are not valid UTF-8') },
  { name: 'Basic with a UTF-8-encoded surrogate', input: auth(`Basic ${b64(Uint8Array.from([0x74, 0x3a, 0xed, 0xa0, 0x80]))}`), expected: bad('Basic credentials are not valid UTF-8') },
  { name: 'Basic with a BOM before the tenant', input: auth(`Basic ${b64(`\uFEFFt1:${JWT}`)}`), expected: bad(/may only contain/) },
  { name: 'Basic with a non-ASCII tenant', input: auth(basic('tenänt')), expected: bad(/may only contain/) },
  { name: 'Basic with a UTF-8 multibyte password', input: auth(basic('t1', 'pässwörd')), expected: badToken(/compact form/) },
  { name: 'Basic with a JWE password', input: auth(basic('t1', 'aaa.bbb.ccc.ddd.eee')), expected: badToken(/JWE/) },
  { name: 'Basic whose password has a second colon', input: auth(basic('t1', 'a.b:c')), expected: badToken(/compact form/) },
  { name: 'basic disabled', input: auth(basic('t1')), rules: { basic: false }, expected: bad(/not supported here; send Bearer <tenant>:<jwt>$/) },

  // --- The header itself ----------------------------------------------------------------------
  { name: 'undefined header', input: auth(undefined), expected: missing },
  { name: 'no authorization key at all', input: {}, expected: missing },
  { name: 'empty header', input: auth(''), expected: missing },
  { name: 'header of spaces', input: auth('   '), expected: missing },
  { name: 'header of tabs and spaces', input: auth('\t \t'), expected: missing },
  { name: 'empty array of headers', input: auth([]), expected: missing },
  { name: 'two headers', input: auth([bearer('t1'), bearer('t2')]), expected: bad('more than one Authorization header was sent') },
  { name: 'two identical headers', input: auth([bearer('t1'), bearer('t1')]), expected: bad('more than one Authorization header was sent') },
  { name: `header of ${MAX_AUTHORIZATION_LENGTH + 1} characters`, input: auth(headerOfLength(16385)), expected: bad(/longer than 16384 bytes/) },
  { name: 'oversized header of spaces is refused for length first', input: auth(' '.repeat(16385)), expected: bad(/longer than 16384 bytes/) },
  { name: 'Digest scheme', input: auth('Digest x'), expected: bad(/scheme is not supported/) },
  { name: 'Token scheme', input: auth('Token x'), expected: bad(/scheme is not supported/) },
  { name: 'Negotiate scheme', input: auth('Negotiate YWJj'), expected: bad(/scheme is not supported/) },
  { name: 'no scheme, bare JWT', input: auth(JWT), expected: bad(/scheme is not supported/) },
  { name: 'no scheme, tenant:jwt', input: auth(`t1:${JWT}`), expected: bad(/scheme is not supported/) },
  { name: 'scheme glued to the credentials', input: auth(`Bearert1:${JWT}`), expected: bad(/scheme is not supported/) },
  { name: 'unknown scheme lists both accepted forms', input: auth('Digest x'), expected: bad('the authorization scheme is not supported here; send Bearer <tenant>:<jwt> or Basic credentials') },

  // --- tenantHeader ---------------------------------------------------------------------------
  { name: 'tenant header names the tenant of a plain bearer (requireTenant true)', input: { authorization: `Bearer ${JWT}`, tenant: 't1' }, rules: WITH_HEADER, expected: ok('bearer', 't1', ['t1']) },
  { name: 'tenant header as an array of one', input: { authorization: `Bearer ${JWT}`, tenant: ['t1'] }, rules: WITH_HEADER, expected: ok('bearer', 't1', ['t1']) },
  { name: 'tenant header with a federated list', input: { authorization: `Bearer ${JWT}`, tenant: 'a|b|a' }, rules: WITH_HEADER, expected: ok('bearer', 'a|b|a', ['a', 'b']) },
  { name: 'two tenant headers', input: { authorization: `Bearer ${JWT}`, tenant: ['a', 'b'] }, rules: WITH_HEADER, expected: bad('more than one x-scope-orgid header was sent') },
  { name: 'prefix tenant equal to the header tenant', input: { authorization: bearer('t1'), tenant: 't1' }, rules: WITH_HEADER, expected: ok('bearer', 't1', ['t1']) },
  { name: 'prefix tenant different from the header tenant', input: { authorization: bearer('t1'), tenant: 't2' }, rules: WITH_HEADER, expected: bad('the tenant in the credentials and the x-scope-orgid header differ') },
  { name: 'basic username different from the header tenant', input: { authorization: basic('t1'), tenant: 't2' }, rules: WITH_HEADER, expected: bad(/differ/) },
  { name: 'basic with empty username takes the header tenant', input: { authorization: basic(''), tenant: 't1' }, rules: WITH_HEADER, expected: ok('basic', 't1', ['t1']) },
  { name: 'invalid header tenant', input: { authorization: `Bearer ${JWT}`, tenant: 'bad tenant' }, rules: WITH_HEADER, expected: bad(/may only contain/) },
  { name: 'header tenant "__mimir_cluster"', input: { authorization: `Bearer ${JWT}`, tenant: '__mimir_cluster' }, rules: WITH_HEADER, expected: bad(/is reserved/) },
  { name: 'empty header tenant is as if absent', input: { authorization: `Bearer ${JWT}`, tenant: '' }, rules: WITH_HEADER, expected: bad(/tenant is missing/) },
  { name: 'no header tenant, requireTenant true', input: { authorization: `Bearer ${JWT}` }, rules: WITH_HEADER, expected: bad(/tenant is missing/) },
  { name: 'empty array of header tenants', input: { authorization: `Bearer ${JWT}`, tenant: [] }, rules: WITH_HEADER, expected: bad(/tenant is missing/) },
  { name: 'no header tenant, requireTenant false', input: { authorization: `Bearer ${JWT}` }, rules: { ...WITH_HEADER, requireTenant: false }, expected: ok('bearer', undefined, []) },
  { name: 'tenant input ignored without tenantHeader (plain bearer refused)', input: { authorization: `Bearer ${JWT}`, tenant: 't1' }, expected: bad(/tenant is missing/) },
  { name: 'tenant input ignored without tenantHeader (prefix wins)', input: { authorization: bearer('t1'), tenant: 't2' }, expected: ok('bearer', 't1', ['t1']) },
  { name: 'tenant input ignored without tenantHeader (requireTenant false)', input: { authorization: `Bearer ${JWT}`, tenant: 't1' }, rules: OPTIONAL_TENANT, expected: ok('bearer', undefined, []) },
  { name: 'invalid tenant input ignored without tenantHeader', input: { authorization: bearer('t1'), tenant: ['x', 'y'] }, expected: ok('bearer', 't1', ['t1']) },
];

function run(testCase: Case): Credentials {
  return readCredentials(testCase.input, { ...DEFAULT_RULES, ...testCase.rules });
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('readCredentials: table', () => {
  it('has at least 70 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
    expect(new Set(cases.map((testCase) => testCase.name)).size).toBe(cases.length);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const { expected } = testCase;
    if ('ok' in expected) {
      expect(run(testCase)).toStrictEqual(expected.ok);
      return;
    }
    const error = caught(() => run(testCase));
    expect(error).toBeInstanceOf(AuthError);
    const authError = error as AuthError;
    expect({ code: authError.code, status: authError.status }).toStrictEqual({ code: expected.code, status: expected.status });
    if (typeof expected.message === 'string') expect(authError.message).toBe(expected.message);
    else if (expected.message !== undefined) expect(authError.message).toMatch(expected.message);
    // No message ever repeats the token.
    for (const segment of JWT.split('.')) expect(authError.message).not.toContain(segment);
  });
});

describe('error messages never contain the token or the tenant', () => {
  const SECRET_TENANT = 'Zq7SecretTenantName';
  const SECRET_TOKEN = 'Zq7SecretHeaderX.Zq7SecretPayloadX.Zq7SecretSignatureX';
  const samples: Array<{ input: CredentialsInput; rules?: Partial<CredentialRules> }> = [
    { input: auth(`Bearer ${SECRET_TOKEN}`) },
    { input: auth(`Bearer ${SECRET_TENANT}é:${SECRET_TOKEN}`) },
    { input: auth(`Bearer ${SECRET_TENANT}|:${SECRET_TOKEN}`) },
    { input: auth(`Bearer ${SECRET_TENANT}:${SECRET_TOKEN}.x.y`) },
    { input: auth(`Bearer ${SECRET_TENANT}:${SECRET_TOKEN}=`) },
    { input: auth(`Bearer ${SECRET_TENANT}:Zq7SecretA.Zq7SecretB`) },
    { input: auth(`Bearer ${SECRET_TENANT}:${SECRET_TOKEN}`), rules: { bearer: false } },
    { input: auth(`Digest ${SECRET_TENANT}:${SECRET_TOKEN}`) },
    { input: auth(`${SECRET_TENANT}:${SECRET_TOKEN}`) },
    { input: auth([`Bearer ${SECRET_TENANT}:${SECRET_TOKEN}`, 'Bearer x']) },
    { input: auth(`Bearer ${SECRET_TENANT}:${SECRET_TOKEN}${'A'.repeat(MAX_AUTHORIZATION_LENGTH)}`) },
    { input: auth(`Basic ${b64(`${SECRET_TENANT}${SECRET_TOKEN}`)}`) },
    { input: auth(`Basic ${b64(`${SECRET_TENANT}:${SECRET_TOKEN}ü`)}`) },
    { input: auth(`Basic ${b64(`${SECRET_TENANT}ü:${SECRET_TOKEN}`)}`) },
    { input: auth(`Basic ${SECRET_TENANT}!!`) },
    { input: auth(`Basic ${b64(`${SECRET_TENANT}:${SECRET_TOKEN}`)}`), rules: { basic: false } },
    { input: { authorization: `Bearer ${SECRET_TOKEN}`, tenant: `${SECRET_TENANT} x` }, rules: WITH_HEADER },
    { input: { authorization: `Bearer other:${SECRET_TOKEN}`, tenant: SECRET_TENANT }, rules: WITH_HEADER },
    { input: { authorization: `Bearer ${SECRET_TOKEN}`, tenant: [SECRET_TENANT, SECRET_TENANT] }, rules: WITH_HEADER },
  ];

  it.each(samples.map((sample, index) => [index, sample] as const))('sample %i', (_index, sample) => {
    const error = caught(() => readCredentials(sample.input, { ...DEFAULT_RULES, ...sample.rules }));
    expect(error).toBeInstanceOf(AuthError);
    const { message } = error as AuthError;
    expect(message).not.toMatch(/Zq7/);
    expect(message).not.toContain(SECRET_TENANT);
    expect(message).not.toContain(SECRET_TOKEN);
  });
});

describe('strict base64', () => {
  it.each([
    ['YWRta W46c!!GFzcw', 'admin:pass'],
    ['dDE6YS5iLmM', 't1:a.b.c'],
    ['dDE6YS5iLj8_Pg==', 't1:a.b.??>'],
    ['dDE6fn5-LmIuYw==', 't1:~~~.b.c'],
    ['dDE6YS5iLmNkZR==', 't1:a.b.cde'],
    ['dDE6YS5iLmN=', 't1:a.b.c'],
  ])('refuses %j, which a lenient decoder would read as %j', (encoded, lenient) => {
    // The premise: Node's own decoder silently accepts this input.
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(lenient);
    const error = caught(() => readCredentials(auth(`Basic ${encoded}`), { ...DEFAULT_RULES, requireTenant: false }));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(400);
    expect((error as AuthError).message).toBe('Basic credentials are not valid base64');
  });
});

describe('parseCredentials and checkTokenShape', () => {
  it('trims spaces and tabs at both ends only, also around a long inner run of blanks', () => {
    const inner = ' \t'.repeat(4000);
    const padded = `\t  Bearer t1:${FAKE}${inner}x \t `;
    expect(padded.length).toBeLessThanOrEqual(MAX_AUTHORIZATION_LENGTH);
    // The inner run stays part of the token, which is then refused for its shape.
    const credentials = parseCredentials({ authorization: padded }, DEFAULT_RULES);
    expect(credentials.token).toBe(`${FAKE}${inner}x`);
    expect(parseCredentials({ authorization: ` \t Bearer t1:${FAKE}\t` }, DEFAULT_RULES).token).toBe(FAKE);
    expect(() => parseCredentials({ authorization: ' \t'.repeat(8000) }, DEFAULT_RULES)).toThrow('no credentials were sent');
  });

  it('parseCredentials does not check the token shape', () => {
    expect(parseCredentials(auth('Bearer t1:not a jwt'), DEFAULT_RULES)).toStrictEqual({
      scheme: 'bearer',
      tenant: 't1',
      tenants: ['t1'],
      token: 'not a jwt',
      proof: undefined,
    });
  });

  it('checkTokenShape accepts three base64url segments and nothing else', () => {
    expect(() => checkTokenShape(JWT)).not.toThrow();
    expect(() => checkTokenShape('a.b.c')).not.toThrow();
    for (const token of ['', 'a.b', 'a.b.c.d', 'a.b.c.d.e.f', 'a..c', '.b.c', 'a.b.', 'a.b.c=', ' a.b.c', 'a.b.c ', 'a.b.c\n', 'ä.b.c']) {
      const error = caught(() => checkTokenShape(token));
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('invalid_token');
      expect((error as AuthError).status).toBe(401);
    }
  });

  it('names JWE for five-segment tokens only', () => {
    expect((caught(() => checkTokenShape('a.b.c.d.e')) as AuthError).message).toMatch(/JWE/);
    expect((caught(() => checkTokenShape('a.b.c.d')) as AuthError).message).not.toMatch(/JWE/);
  });
});

describe('tenant IDs', () => {
  it('exports the Mimir limit', () => {
    expect(MAX_TENANT_ID_LENGTH).toBe(150);
  });

  it.each([
    ['a', undefined],
    [T150, undefined],
    [ALL_SPECIALS, undefined],
    ['...', undefined],
    ['', 'is empty'],
    [T151, 'is longer than 150 characters'],
    ['.', 'may not be "."'],
    ['..', 'may not be ".."'],
    ['__mimir_cluster', 'is reserved'],
    ['a|b', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['a b', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['tenänt', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['a,b', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['a:b', "may only contain letters, digits and ! - _ . * ' ( )"],
    // `!-_` is three characters, not a range: characters between ! and _ such as # stay refused.
    ['a#b', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['a+b', "may only contain letters, digits and ! - _ . * ' ( )"],
    ['a/b', "may only contain letters, digits and ! - _ . * ' ( )"],
  ] as const)('tenantIdProblem(%j) is %j', (id, problem) => {
    expect(tenantIdProblem(id)).toBe(problem);
  });

  it('splitTenants validates each ID and deduplicates', () => {
    expect(splitTenants('a')).toStrictEqual(['a']);
    expect(splitTenants('b|a|b')).toStrictEqual(['b', 'a']);
    const error = caught(() => splitTenants('a||b'));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('invalid_request');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const rulesArbitrary: fc.Arbitrary<CredentialRules> = fc.record({
  bearer: fc.boolean(),
  basic: fc.boolean(),
  dpop: fc.constantFrom('off' as const, 'allowed' as const),
  requireTenant: fc.boolean(),
  tenantHeader: fc.constantFrom(undefined, 'x-scope-orgid'),
});

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('a', ':', '|', '.', ' ', '\t', '=', '_', '-', 'é', 'Bearer ', 'Basic ', 'bearer ') }),
);

const headerValue: fc.Arbitrary<CredentialsInput['authorization']> = fc.oneof(
  anyText,
  anyText.map((text) => `Bearer ${text}`),
  anyText.map((text) => `Basic ${text}`),
  anyText.map((text) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`),
  fc.uint8Array().map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`),
  fc.constant(undefined),
  fc.array(anyText, { maxLength: 3 }),
);

const tenantValue: fc.Arbitrary<CredentialsInput['tenant']> = fc.oneof(
  anyText,
  fc.constant(undefined),
  fc.array(anyText, { maxLength: 3 }),
);

const TENANT_ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...ALL_SPECIALS,
];
const BASE64URL_ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'];

const tenantId = fc
  .string({ unit: fc.constantFrom(...TENANT_ALPHABET), minLength: 1, maxLength: 150 })
  .filter((id) => id !== '.' && id !== '..' && id !== '__mimir_cluster');
const segment = fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET), minLength: 1, maxLength: 60 });
const token = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'));

describe('readCredentials: properties', () => {
  it('either returns credentials or throws an AuthError, for any input and rules', () => {
    fc.assert(
      fc.property(headerValue, tenantValue, rulesArbitrary, (authorization, tenant, rules) => {
        try {
          const result = readCredentials({ authorization, tenant }, rules);
          expect(['bearer', 'basic']).toContain(result.scheme);
          expect(result.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
          if (result.tenant === undefined) {
            expect(rules.requireTenant).toBe(false);
            expect(result.tenants).toStrictEqual([]);
          } else {
            for (const id of result.tenants) expect(tenantIdProblem(id)).toBeUndefined();
          }
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          expect([400, 401]).toContain(error.status);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips a tenant and token through Bearer and Basic', () => {
    fc.assert(
      fc.property(tenantId, token, fc.boolean(), (tenant, jwt, requireTenant) => {
        const rules = { ...DEFAULT_RULES, requireTenant };
        const expected: Credentials = { scheme: 'bearer', tenant, tenants: [tenant], token: jwt, proof: undefined };
        expect(readCredentials({ authorization: `Bearer ${tenant}:${jwt}` }, rules)).toStrictEqual(expected);
        expect(readCredentials({ authorization: `Basic ${b64(`${tenant}:${jwt}`)}` }, rules)).toStrictEqual({
          ...expected,
          scheme: 'basic',
        });
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips federated tenant lists, deduplicated in first-seen order', () => {
    fc.assert(
      fc.property(fc.array(tenantId, { minLength: 1, maxLength: 6 }), token, (ids, jwt) => {
        const tenant = ids.join('|');
        const tenants = [...new Set(ids)];
        expect(readCredentials({ authorization: `Bearer ${tenant}:${jwt}` }, DEFAULT_RULES)).toStrictEqual({
          scheme: 'bearer',
          tenant,
          tenants,
          token: jwt,
          proof: undefined,
        });
        expect(readCredentials({ authorization: `Basic ${b64(`${tenant}:${jwt}`)}` }, DEFAULT_RULES)).toStrictEqual({
          scheme: 'basic',
          tenant,
          tenants,
          token: jwt,
          proof: undefined,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips a tenant given by the tenant header', () => {
    fc.assert(
      fc.property(tenantId, token, (tenant, jwt) => {
        expect(readCredentials({ authorization: `Bearer ${jwt}`, tenant }, { ...DEFAULT_RULES, tenantHeader: 'x-scope-orgid' })).toStrictEqual({
          scheme: 'bearer',
          tenant,
          tenants: [tenant],
          token: jwt,
          proof: undefined,
        });
      }),
      { numRuns: 200 },
    );
  });
});
