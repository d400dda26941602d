import type { OptionVocabulary } from '../base/problem-sentences.js';
import { policyWords } from '../policy/policy-vocabulary.js';

const BOOLEAN = 'true or false';
const DURATION = "a duration such as '30s' or a number of seconds";
const optionPolicies = policyWords('accessPolicies.*');

const INTROSPECTION_KEYS = ['clientId', 'clientSecret', 'privateKey', 'endpoint', 'cacheTtl', 'requireExp'];

function introspectionWords(at: string): Record<string, string> {
  return {
    [`${at}.clientId`]: 'the client ID of this resource server at the issuer',
    [`${at}.clientSecret`]: 'the client secret (client_secret_basic)',
    [`${at}.privateKey`]: 'a private JWK with its alg, such as { kty: "EC", crv: "P-256", alg: "ES256", d: "...", ... }',
    [`${at}.privateKey.alg`]: 'an asymmetric algorithm name such as "RS256" or "ES256"',
    [`${at}.endpoint`]: 'the introspection endpoint URL',
    [`${at}.cacheTtl`]: "a duration of at most 60 minutes such as '1m'",
    [`${at}.requireExp`]: BOOLEAN,
  };
}

/** The options of `createAuthenticator`. @internal */
export const AUTHENTICATOR_OPTIONS: OptionVocabulary = {
  whole: 'The options',
  quoteValues: true,
  records: ['accessPolicies'],
  expected: {
    '': 'an object',
    issuerUrl: 'an issuer URL, or a non-empty list of them',
    issuers: 'a non-empty list of issuers such as [{ issuerUrl: "https://idp.example.com" }]',
    'issuers[]': 'an object such as { issuerUrl: "https://idp.example.com", audience: "metrics-api" }',
    'issuers[].issuerUrl': 'an issuer URL',
    'issuers[].audience': 'an audience string, a non-empty list of them, or false',
    'issuers[].audienceClaim': 'a claim name such as "client_id"',
    'issuers[].jwksUri': 'a JWKS URL',
    'issuers[].accessPolicyClaim': 'a claim name or dotted path',
    'issuers[].accessPolicyRegex': 'an RE2 pattern with a capture group',
    'issuers[].algorithms': 'a non-empty list of algorithm names such as ["RS256"]',
    'issuers[].typ': 'a non-empty string such as "at+jwt"',
    'issuers[].clockTolerance': DURATION,
    'issuers[].discoveryUrl': 'the URL of the discovery document of a templated issuer',
    'issuers[].allowedTenantIds': 'a non-empty list of tenant IDs (tid)',
    audienceClaim: 'a claim name such as "aud" or "client_id"',
    jwksUri: 'a JWKS URL, for an issuer without discovery',
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
    resourceMetadata: 'an object such as { resource: "https://metrics.example.com", scopesSupported: ["metrics:read"] }',
    'resourceMetadata.resource': 'the resource identifier, an https URL such as "https://metrics.example.com"',
    'resourceMetadata.scopesSupported': 'a non-empty list of scope names such as ["metrics:read"]',
    'resourceMetadata.scopesSupported[]': 'a scope name such as "metrics:read"',
    introspection: "an object such as { clientId: 'metrics-api', clientSecret: '...' }",
    'issuers[].introspection': "an object such as { clientId: 'metrics-api', clientSecret: '...' }",
    ...introspectionWords('introspection'),
    ...introspectionWords('issuers[].introspection'),
    ...optionPolicies.expected,
  },
  keys: {
    '': [
      'issuerUrl', 'issuers', 'audience', 'audienceClaim', 'jwksUri', 'accessPolicyClaim', 'accessPolicyRegex', 'accessPolicies', 'algorithms',
      'clockTolerance', 'requireTenant', 'tenantHeader', 'cluster', 'typ', 'credentials', 'cache', 'jwks',
      'allowInsecureHttp', 'fetch', 'onEvent', 'dpop', 'mtls', 'resourceMetadata', 'introspection',
    ],
    dpop: ['mode', 'algorithms', 'proofMaxAge', 'replayStore'],
    'issuers[]': ['issuerUrl', 'audience', 'audienceClaim', 'jwksUri', 'accessPolicyClaim', 'accessPolicyRegex', 'algorithms', 'typ', 'clockTolerance', 'discoveryUrl', 'allowedTenantIds', 'introspection'],
    introspection: INTROSPECTION_KEYS,
    'issuers[].introspection': INTROSPECTION_KEYS,
    mtls: ['mode'],
    resourceMetadata: ['resource', 'scopesSupported'],
    credentials: ['bearer', 'basic'],
    cache: ['ttl', 'maxEntries', 'maxBytes'],
    jwks: ['cooldown', 'maxAge', 'timeout', 'maxStale'],
    ...optionPolicies.keys,
  },
};
