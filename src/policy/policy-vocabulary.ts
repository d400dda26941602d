import type { OptionVocabulary } from '../base/problem-sentences.js';


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

/** The policy words placed below `prefix`, the pattern of one policy. @internal */
export function policyWords(prefix: string): { expected: Record<string, string>; keys: Record<string, string[]> } {
  const expected: Record<string, string> = {};
  for (const [pattern, words] of Object.entries(POLICY_EXPECTED)) {
    expected[pattern === '' ? prefix : `${prefix}.${pattern}`] = words;
  }
  return { expected, keys: { [prefix]: POLICY_KEYS, [`${prefix}.realms[]`]: REALM_KEYS } };
}

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
