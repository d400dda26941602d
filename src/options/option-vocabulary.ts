import type { OptionVocabulary } from '../base/problem-sentences.js';
import { policyWords } from '../policy/policy-vocabulary.js';

const BOOLEAN = 'true or false';
const DURATION = "a duration such as '30s' or a number of seconds";
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
    dpop: "an object such as { mode: 'allowed', proofMaxAge: '60s' }",
    'dpop.mode': '"off", "allowed" or "required"',
    'dpop.algorithms': 'a non-empty list of algorithm names such as ["ES256", "EdDSA"]',
    'dpop.proofMaxAge': DURATION,
    'dpop.replayStore': 'an object with a seen(jti, untilMs) method',
    mtls: "an object such as { mode: 'allowed' }",
    'mtls.mode': '"off", "allowed" or "required"',
    ...optionPolicies.expected,
  },
  keys: {
    '': [
      'issuerUrl', 'audience', 'accessPolicyClaim', 'accessPolicyRegex', 'accessPolicies', 'algorithms',
      'clockTolerance', 'requireTenant', 'tenantHeader', 'cluster', 'typ', 'credentials', 'cache', 'jwks',
      'allowInsecureHttp', 'fetch', 'onEvent', 'dpop', 'mtls',
    ],
    dpop: ['mode', 'algorithms', 'proofMaxAge', 'replayStore'],
    mtls: ['mode'],
    credentials: ['bearer', 'basic'],
    cache: ['ttl', 'maxEntries', 'maxBytes'],
    jwks: ['cooldown', 'maxAge', 'timeout', 'maxStale'],
    ...optionPolicies.keys,
  },
};
