import { z } from 'zod';
import { describeProblems } from '../base/problem-sentences.js';
import { STORE_ANSWER } from './policy-vocabulary.js';
import { tenantIdProblem } from '../credentials/tenant-id.js';
import { parseLabelSelector } from './label-selector.js';

/** Where an access policy applies: a tenant (or `*` for all), optionally narrowed. */
export interface Realm {
  /** A tenant ID, or `*` for every tenant. */
  tenant: string;
  /** When set, the realm only counts on an authenticator whose `cluster` option equals it. */
  cluster?: string;
  /**
   * PromQL vector selectors the tenant's data is restricted to (a series must match one);
   * none means unrestricted. Checked when policies load, and handed out in normal form
   * (see {@link AccessPolicyView.selectorsFor}).
   */
  labelSelectors?: string[];
}

/** What a policy grants: scopes (such as `metrics:read`) on the tenants of its realms. */
export interface AccessPolicy {
  /** Scopes granted, such as `metrics:read` or `metrics:write`. */
  scopes: string[];
  /** Tenants the scopes apply to. */
  realms: Realm[];
  /** A human-readable name. */
  displayName?: string;
}

/** A policy as returned by an access-policy store function, with its name. */
export interface NamedAccessPolicy extends AccessPolicy {
  /** The policy name, lowercase, as extracted from tokens. */
  name: string;
}

/**
 * Where policies come from: a record keyed by lowercase policy name, or a function
 * that receives the lowercase names extracted from a token and resolves the policies
 * it knows (names it does not know are simply left out).
 */
export type AccessPolicyStore =
  | Readonly<Record<string, AccessPolicy>>
  | ((names: string[]) => Promise<NamedAccessPolicy[]>);

/** The resolved policy of a request; virtual when the token named several policies. */
export interface AccessPolicyView extends AccessPolicy {
  /** The policy name; `virtual:<a,b,...>` for a virtual policy. */
  name: string;
  /** Whether this policy was aggregated from several (it is then read-only). */
  virtual: boolean;
  /** The tenants of the realms that count, `*` kept as is. */
  tenants: string[];
  /**
   * Label selectors to enforce for `tenant` (OR-ed); `null` means unrestricted, `[]` that no
   * realm covers the tenant. Each is a PromQL vector selector in one normal form, whatever
   * the store wrote: `{name="value", other=~"re"}`, the metric name first as a
   * `__name__="..."` matcher, the other matchers in source order, values double-quoted with
   * Go's escapes, label names that are not plain identifiers quoted. `up{ job = 'api' }`
   * is given as `{__name__="up", job="api"}`.
   */
  selectorsFor(tenant: string): string[] | null;
}

const nonEmptyString = z.string().min(1);

/** Validates a realm's tenant: a tenant ID or `*`. @internal */
export const realmTenantSchema = z.string().superRefine((tenant, context) => {
  if (tenant === '*') return;
  const problem = tenantIdProblem(tenant);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: `is not "*" or a valid tenant ID: it ${problem}` });
  }
});

/**
 * Validates a label selector as a PromQL vector selector and hands it on in normal form, so
 * that every store (records, functions, files) yields selectors written one way.
 * @internal
 */
export const labelSelectorSchema = nonEmptyString.transform((selector, context) => {
  let outcome: ReturnType<typeof parseLabelSelector>;
  try {
    outcome = parseLabelSelector(selector);
  } catch (error) {
    // The PromQL package is missing: its message says which package to install.
    outcome = { problem: `cannot be checked: ${error instanceof Error ? error.message : String(error)}` };
  }
  if ('selector' in outcome) return outcome.selector;
  context.addIssue({ code: 'custom', message: outcome.problem });
  return z.NEVER;
});

/** Validates a realm, from options or from a store. @internal */
export const realmSchema = z.strictObject({
  tenant: realmTenantSchema,
  cluster: nonEmptyString.optional(),
  labelSelectors: z.array(labelSelectorSchema).optional(),
});

/** Validates a policy, from options or from a store. @internal */
export const accessPolicySchema = z.strictObject({
  scopes: z.array(nonEmptyString),
  realms: z.array(realmSchema),
  displayName: z.string().optional(),
});

const namedAccessPolicies = z.array(accessPolicySchema.extend({ name: nonEmptyString }));

/** The outcome of validating what a store function returned. @internal */
export type StoreAnswer =
  | { success: true; data: NamedAccessPolicy[] }
  | { success: false; error: Error };

/**
 * Validates what a store function returns. A failure is an Error whose message names each
 * problem by its path (`policies[0].realms[0].tenant` is required ...), for the operator:
 * values are named by their type only, since a store may echo anything, token-derived
 * names included (rule 25).
 * @internal
 */
export const namedAccessPoliciesSchema = {
  safeParse(answer: unknown): StoreAnswer {
    const parsed = namedAccessPolicies.safeParse(answer, { reportInput: true });
    if (parsed.success) return { success: true, data: parsed.data };
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['policies', ...issue.path] }));
    return { success: false, error: new Error(describeProblems(issues, STORE_ANSWER).join(' ')) };
  },
};
