import { z } from 'zod';
import { labelSelectorSchema, realmTenantSchema, type NamedAccessPolicy, type Realm } from './access-policy.js';
import type { OptionVocabulary } from '../base/problem-sentences.js';

const nonEmpty = z.string().min(1);

// Realms and label policies are strict: a misspelt `label_policies` would otherwise leave the
// realm unrestricted. The policy itself is loose, because GEM's exports carry fields of their
// own (creation times and the like) that mean nothing here.
const gemRealm = z.strictObject({
  tenant: realmTenantSchema,
  // Go writes an unset string as "" and an unset list as null.
  cluster: z.string().nullish(),
  label_policies: z.array(z.strictObject({ selector: labelSelectorSchema })).nullish(),
});

const gemPolicy = z.looseObject({
  name: nonEmpty,
  display_name: z.string().nullish(),
  status: z.enum(['active', 'inactive', 'unknown']).optional(),
  scopes: z.array(nonEmpty),
  realms: z.array(gemRealm),
});

type GemPolicy = z.infer<typeof gemPolicy>;

const gemList = z.array(gemPolicy);
const gemItems = z.looseObject({ items: gemList });

/**
 * The schema of a GEM document, as GEM's admin API lists policies: a list, or an object whose
 * `items` is one. Chosen by the document's shape rather than with a union, so that a problem
 * deep inside is reported at its own path.
 * @internal
 */
export function gemSchemaFor(document: unknown): typeof gemList | typeof gemItems {
  return Array.isArray(document) ? gemList : gemItems;
}

/**
 * The policies of a GEM document that exist: `active` ones and those without a status.
 * `inactive` policies do not exist, and neither do `unknown` ones: a policy GEM itself does
 * not call active grants nothing.
 * @internal
 */
export function policiesOfGemDocument(document: GemPolicy[] | { items: GemPolicy[] }): NamedAccessPolicy[] {
  const list = Array.isArray(document) ? document : document.items;
  return list.filter((policy) => policy.status === undefined || policy.status === 'active').map(fromGem);
}

function fromGem(policy: GemPolicy): NamedAccessPolicy {
  const realms = policy.realms.map((realm): Realm => {
    const selectors = (realm.label_policies ?? []).map((labelPolicy) => labelPolicy.selector);
    return {
      tenant: realm.tenant,
      ...(realm.cluster ? { cluster: realm.cluster } : {}),
      ...(selectors.length > 0 ? { labelSelectors: selectors } : {}),
    };
  });
  return {
    name: policy.name,
    scopes: [...policy.scopes],
    realms,
    ...(policy.display_name ? { displayName: policy.display_name } : {}),
  };
}

const GEM_POLICY_EXPECTED: Record<string, string> = {
  '': 'a GEM access policy such as { name: "team1", scopes: ["metrics:read"], realms: [{ tenant: "tenant-1" }] }',
  name: 'the policy name, a non-empty string',
  display_name: 'a string',
  status: '"active", "inactive" or "unknown"',
  scopes: 'a list of scope strings',
  'scopes[]': 'a non-empty scope string such as "metrics:read"',
  realms: 'a list of realms such as [{ tenant: "tenant-1" }]',
  'realms[]': 'a realm such as { tenant: "tenant-1", label_policies: [{ selector: \'{env="prod"}\' }] }',
  'realms[].tenant': 'a tenant ID or "*"',
  'realms[].cluster': 'a cluster name',
  'realms[].label_policies': 'a list of label policies such as [{ selector: \'{env="prod"}\' }]',
  'realms[].label_policies[]': 'a label policy such as { selector: \'{env="prod"}\' }',
  'realms[].label_policies[].selector': 'a non-empty label selector such as \'{env="prod"}\'',
};

function gemWords(prefix: string): { expected: Record<string, string>; keys: Record<string, string[]> } {
  const expected: Record<string, string> = {};
  for (const [pattern, words] of Object.entries(GEM_POLICY_EXPECTED)) {
    expected[pattern === '' ? prefix : `${prefix}.${pattern}`] = words;
  }
  const keys = {
    [prefix]: ['name', 'display_name', 'status', 'scopes', 'realms'],
    [`${prefix}.realms[]`]: ['tenant', 'cluster', 'label_policies'],
    [`${prefix}.realms[].label_policies[]`]: ['selector'],
  };
  return { expected, keys };
}

const listWords = gemWords('[]');
const itemsWords = gemWords('items[]');

/** What each part of a GEM policy file must be. @internal */
export const GEM_FILE: OptionVocabulary = {
  whole: 'The policy file',
  quoteValues: true,
  expected: {
    '': 'a list of GEM access policies, or { items: [...] } as GEM\'s admin API lists them',
    items: 'a list of GEM access policies',
    ...listWords.expected,
    ...itemsWords.expected,
  },
  keys: { ...listWords.keys, ...itemsWords.keys },
};
