import { LRUCache } from 'lru-cache';
import {
  namedAccessPoliciesSchema,
  type AccessPolicy,
  type AccessPolicyStore,
  type AccessPolicyView,
  type Realm,
} from './access-policy.js';
import { armDeadline, raceDeadline } from '../base/deadline.js';
import { BoundedMemo } from '../base/bounded-memo.js';
import { deepFreeze } from '../base/deep-freeze.js';
import { estimateHeapBytes } from '../base/heap-size.js';
import { AuthError } from '../base/errors.js';
import type { AuthEvent } from '../base/events.js';

/** A resolved policy with what the per-request checks need. @internal */
export interface ResolvedPolicy {
  view: AccessPolicyView;
  /** Whether the policy covers `tenant` (a realm names it, or `*`). */
  covers(tenant: string): boolean;
  /** When this resolution stops being reused (`cache.ttl` after it was made). */
  untilMs: number;
}

/** How policies are resolved. @internal */
export interface PolicyResolverOptions {
  store: AccessPolicyStore;
  cluster: string | undefined;
  ttlMs: number;
  maxEntries: number;
  /** Estimated bytes of every resolution held; one over a hundredth of it is not kept. */
  maxBytes: number;
  /** How long a store call may take before the request is a 503. */
  timeoutMs: number;
  /** Aborted by `close()`: calls still waiting on the store are refused at once. */
  signal: AbortSignal;
  emit: ((event: AuthEvent) => void) | undefined;
}

const READ_SCOPE = /:read$/;
const ENTRY_OVERHEAD_BYTES = 256;
/** Resolutions too large for the cache that {@link PolicyResolver.invalidate} can still reach. */
const MAX_UNCACHED = 1000;
/** Bounds of the one-name memo: as many names as the policy-name memo remembers values. */
const SINGLE_NAME_ENTRIES = 4096;
const SINGLE_NAME_LENGTH = 256;
const resolvedViews = new WeakMap<AccessPolicyView, ResolvedPolicy>();

/**
 * The resolved policy behind a view handed out in an `AuthResult`; for a view built
 * elsewhere, one derived from its `tenants`. @internal
 */
export function policyOfView(view: AccessPolicyView): ResolvedPolicy {
  const known = resolvedViews.get(view);
  if (known !== undefined) return known;
  const tenants = new Set(view.tenants);
  return { view, covers: (tenant) => tenants.has('*') || tenants.has(tenant), untilMs: 0 };
}

/**
 * Resolves sorted policy names to one policy: the policy itself for one name, a
 * read-only virtual policy for several. Results (including "none of these exist") are
 * cached by the names for `cache.ttl`, and concurrent resolutions of the same names
 * share one store call.
 * @internal
 */
export class PolicyResolver {
  readonly #options: PolicyResolverOptions;
  readonly #record: ReadonlyMap<string, AccessPolicy> | undefined;
  readonly #cache: LRUCache<string, { policy: ResolvedPolicy | undefined; untilMs: number }>;
  readonly #pending = new Map<string, Promise<ResolvedPolicy | undefined>>();
  /** Handed out but not cached (over the cache's entry size); oldest first. */
  readonly #uncached = new Set<ResolvedPolicy>();
  /** Counts invalidations: a resolution that began before one is used once, not kept. */
  #generation = 0;
  /**
   * The policy last found for one name, by the name: most tokens carry one name, and a
   * first-seen token then needs no JSON key and no LRU lookup. A policy that left the cache
   * has `untilMs` 0 (see `dispose`), so this never outlives the cache's own answer.
   */
  readonly #bySingleName = new BoundedMemo<ResolvedPolicy>(SINGLE_NAME_ENTRIES, SINGLE_NAME_LENGTH);

  constructor(options: PolicyResolverOptions) {
    this.#options = options;
    this.#record = typeof options.store === 'function' ? undefined : new Map(Object.entries(options.store));
    this.#cache = new LRUCache({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      maxEntrySize: Math.floor(options.maxBytes / 100),
      // The key is the JSON of the names; the view holds realms, scopes and tenants.
      sizeCalculation: (entry, key) => key.length + ENTRY_OVERHEAD_BYTES + estimateHeapBytes(entry.policy?.view),
      // Token entries keep the policy they were given and reuse it while `untilMs` is ahead
      // (the request path reads nothing else). A policy therefore stays reusable only while
      // the cache holds it: leaving the cache (evicted, replaced, cleared) ends it at once. This
      // costs the hot path nothing, where a shared validity flag would cost a read per request;
      // the price is a store call for tokens whose policy was evicted, as for every cache miss.
      dispose: (entry) => {
        if (entry.policy !== undefined) entry.policy.untilMs = 0;
      },
    });
  }

  /**
   * The policy for `names` when a resolution still cached found one, without waiting on a
   * promise; `undefined` sends the caller to {@link resolve}.
   */
  cached(names: readonly string[]): ResolvedPolicy | undefined {
    const single = names.length === 1 ? names[0] : undefined;
    let policy = single === undefined ? undefined : this.#bySingleName.get(single);
    if (policy === undefined || policy.untilMs <= Date.now()) {
      policy = this.#cachedEntry(JSON.stringify(names))?.policy;
      if (policy !== undefined && single !== undefined) this.#bySingleName.remember(single, policy);
    }
    if (policy !== undefined) this.#options.emit?.({ type: 'cache', cache: 'policy', hit: true });
    return policy;
  }

  /** @throws {AuthError} `policy_not_found` (403) or `policy_store_unavailable` (503) */
  async resolve(names: readonly string[]): Promise<ResolvedPolicy> {
    // JSON keeps names apart whatever they contain (a name may hold NUL or a comma).
    const key = JSON.stringify(names);
    const cached = this.#cachedEntry(key);
    let policy: ResolvedPolicy | undefined;
    if (cached !== undefined) {
      this.#options.emit?.({ type: 'cache', cache: 'policy', hit: true });
      policy = cached.policy;
    } else {
      this.#options.emit?.({ type: 'cache', cache: 'policy', hit: false });
      policy = await this.#resolveOnce(key, names);
    }
    if (policy === undefined) {
      throw new AuthError('policy_not_found', 'none of the access policies named by the token exist');
    }
    return policy;
  }

  clear(): void {
    this.#cache.clear();
    this.#bySingleName.clear();
  }

  /**
   * Forgets every resolution, including those cached token entries hold, because the store's
   * policies changed (a policy file was reloaded): the next request resolves again.
   */
  invalidate(): void {
    this.#generation += 1;
    // Waiters keep their pending answer; later requests must not join it.
    this.#pending.clear();
    this.#cache.clear();
    this.#bySingleName.clear();
    for (const policy of this.#uncached) policy.untilMs = 0;
    this.#uncached.clear();
  }

  #cachedEntry(key: string): { policy: ResolvedPolicy | undefined; untilMs: number } | undefined {
    const cached = this.#cache.get(key);
    return cached !== undefined && Date.now() < cached.untilMs ? cached : undefined;
  }

  #resolveOnce(key: string, names: readonly string[]): Promise<ResolvedPolicy | undefined> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      const generation = this.#generation;
      const settled = this.#load(names)
        .then((policies) => {
          const untilMs = Date.now() + this.#options.ttlMs;
          // Several names make a read-only policy even when the store knows only one of them.
          const policy =
            policies.length === 0 ? undefined : combine(policies, names.length > 1, this.#options.cluster, untilMs);
          if (generation !== this.#generation) {
            // The store changed while it answered: this answer serves its waiters only.
            if (policy !== undefined) policy.untilMs = 0;
            return policy;
          }
          // lru-cache skips an entry over maxEntrySize: it is then resolved again next time.
          this.#cache.set(key, { policy, untilMs });
          if (policy !== undefined && !this.#cache.has(key)) this.#keepUncached(policy);
          return policy;
        })
        .finally(() => {
          if (this.#pending.get(key) === settled) this.#pending.delete(key);
        });
      pending = settled;
      this.#pending.set(key, pending);
    }
    return pending;
  }

  #keepUncached(policy: ResolvedPolicy): void {
    this.#uncached.add(policy);
    for (const oldest of this.#uncached) {
      if (this.#uncached.size <= MAX_UNCACHED && oldest.untilMs > Date.now()) break;
      // Out of reach of invalidate() once dropped, so it ends now.
      oldest.untilMs = 0;
      this.#uncached.delete(oldest);
    }
  }

  /** The policies the store knows among `names`, in the order of `names`. */
  async #load(names: readonly string[]): Promise<Array<AccessPolicy & { name: string }>> {
    if (this.#record !== undefined) {
      const record = this.#record;
      return names.flatMap((name) => {
        const policy = record.get(name);
        return policy === undefined ? [] : [{ ...policy, name }];
      });
    }
    const store = this.#options.store as (names: string[]) => Promise<unknown>;
    let answer: unknown;
    const deadline = armDeadline(this.#options.timeoutMs, this.#options.signal);
    try {
      answer = await raceDeadline(Promise.resolve(store([...names])), deadline);
    } catch (error) {
      const cause = deadline.expired
        ? new Error('the access-policy store did not answer in time')
        : this.#options.signal.aborted
          ? new Error('the authenticator was closed')
          : error;
      throw new AuthError('policy_store_unavailable', 'the access-policy store failed; try again later', { cause });
    } finally {
      deadline.clear();
    }
    let parsed: ReturnType<typeof namedAccessPoliciesSchema.safeParse>;
    try {
      parsed = namedAccessPoliciesSchema.safeParse(answer);
    } catch (error) {
      // A getter or proxy in the answer can throw while it is read.
      throw new AuthError('policy_store_unavailable', 'the access-policy store returned invalid policies', { cause: error });
    }
    if (!parsed.success) {
      throw new AuthError('policy_store_unavailable', 'the access-policy store returned invalid policies', {
        cause: parsed.error,
      });
    }
    const byName = new Map(parsed.data.map((policy) => [policy.name, policy]));
    return names.flatMap((name) => {
      const policy = byName.get(name);
      return policy === undefined ? [] : [policy];
    });
  }
}

function combine(
  policies: Array<AccessPolicy & { name: string }>,
  virtual: boolean,
  cluster: string | undefined,
  untilMs: number,
): ResolvedPolicy {
  const counts = (realm: Realm) => cluster === undefined || realm.cluster === cluster;
  const realms = policies.flatMap((policy) => policy.realms.filter(counts).map((realm) => ({ ...realm })));
  const single = virtual ? undefined : policies[0];
  const scopes = single
    ? [...single.scopes]
    : [...new Set(policies.flatMap((policy) => policy.scopes.filter((scope) => READ_SCOPE.test(scope))))];
  const tenants = [...new Set(realms.map((realm) => realm.tenant))];
  const tenantSet = new Set(tenants);
  const wildcard = tenantSet.has('*');
  const selectorsFor = (tenant: string): string[] | null => selectorsOf(realms, tenant);
  const view: AccessPolicyView = {
    name: single ? single.name : `virtual:${policies.map((policy) => policy.name).join(',')}`,
    virtual: single === undefined,
    scopes,
    realms,
    tenants,
    selectorsFor,
    ...(single?.displayName === undefined ? {} : { displayName: single.displayName }),
  };
  deepFreeze(view);
  const resolved: ResolvedPolicy = { view, covers: (tenant) => wildcard || tenantSet.has(tenant), untilMs };
  resolvedViews.set(view, resolved);
  return resolved;
}

/** `null` when a realm for the tenant is unrestricted; `[]` when no realm covers it. */
function selectorsOf(realms: readonly Realm[], tenant: string): string[] | null {
  const union = new Set<string>();
  for (const realm of realms) {
    if (realm.tenant !== tenant && realm.tenant !== '*') continue;
    if (realm.labelSelectors === undefined || realm.labelSelectors.length === 0) return null;
    for (const selector of realm.labelSelectors) union.add(selector);
  }
  return [...union];
}
