import { claimStrings, lookupClaim } from './claims.js';
import { BoundedMemo } from '../base/bounded-memo.js';
import type { CompiledRegex } from '../base/regex-engine.js';
import { AuthError } from '../base/errors.js';
import { compareCodePoints, goLowercase } from './lowercase.js';

/** Most values a policy claim may hold; a token with more is refused (403 `policy_not_found`). */
export const MAX_CLAIM_VALUES = 1000;

/**
 * The access-policy names a token's claims carry, the way GEM extracts them: each value
 * of the claim through the RE2 regex (unanchored, like Go's `FindStringSubmatch`), the
 * first group of each match lowercased like Go's `strings.ToLower`, then deduplicated
 * and sorted. A value with no match, or whose first group is empty or did not take part,
 * gives no name.
 *
 * @throws {AuthError} `policy_not_found` (403) when the claim is missing, of another type,
 *   holds more than {@link MAX_CLAIM_VALUES} values, or gives no name
 */
export function extractPolicyNames(
  claims: Readonly<Record<string, unknown>>,
  claim: string,
  regex: CompiledRegex | PolicyNameMemo,
): readonly string[] {
  const memo = regex instanceof PolicyNameMemo ? regex : new PolicyNameMemo(regex);
  const found = lookupClaim(claims, claim);
  if (typeof found === 'string') {
    // One value, the usual case (`sub`): no list, set or sort to build, and the same frozen
    // list for every token of that value.
    const names = memo.namesOf(found);
    if (names === undefined) throw noName(claim);
    return names;
  }
  const values = claimStrings(found);
  if (values === undefined) {
    throw new AuthError('policy_not_found', `the token has no ${claim} claim holding a string or a list of strings`);
  }
  if (values.length > MAX_CLAIM_VALUES) {
    throw new AuthError('policy_not_found', `the ${claim} claim holds more than ${MAX_CLAIM_VALUES} values`);
  }
  const names = new Set<string>();
  for (const value of values) {
    const name = memo.nameOf(value);
    if (name !== undefined) names.add(name);
  }
  if (names.size === 0) throw noName(claim);
  return [...names].sort(compareCodePoints);
}

function noName(claim: string): AuthError {
  return new AuthError('policy_not_found', `no access policy name could be extracted from the ${claim} claim`);
}

/**
 * The first capture group of `regex` in `value`, or `undefined` when there is no match
 * or the group is empty or did not take part.
 */
export function captureOf(value: string, regex: CompiledRegex): string | undefined {
  // Lone surrogates become U+FFFD first, as Go's JSON decoder makes them; re2 itself
  // miscounts them on some Node versions and would cut the capture short, and each engine
  // would read them its own way.
  const group = regex.exec(value.isWellFormed() ? value : value.toWellFormed())?.[1];
  return group === '' ? undefined : group;
}

function nameOf(value: string, regex: CompiledRegex): string | undefined {
  const group = captureOf(value, regex);
  return group === undefined ? undefined : goLowercase(group);
}

/** Values remembered before the memo starts over, and the longest value remembered. */
const MEMO_MAX_ENTRIES = 4096;
const MEMO_MAX_VALUE_LENGTH = 256;

/**
 * The policy name of each claim value seen before, so that a new token of a known client
 * (same `sub` or groups) costs no RE2 call: calling into re2 was the largest part of a
 * first verification after the signature itself (measured with --cpu-prof). Bounded in
 * entries and value length; it starts over when full.
 * @internal
 */
export class PolicyNameMemo {
  readonly #regex: CompiledRegex;
  /** The name's one-entry list, frozen: shared by every token whose claim holds only that value. */
  readonly #names = new BoundedMemo<readonly string[] | null>(MEMO_MAX_ENTRIES, MEMO_MAX_VALUE_LENGTH);

  constructor(regex: CompiledRegex) {
    this.#regex = regex;
  }

  /** The lowercased first group of the regex in `value`, as {@link captureOf} finds it. */
  nameOf(value: string): string | undefined {
    return this.namesOf(value)?.[0];
  }

  /** {@link nameOf} as a frozen one-name list, the same list for the same value while remembered. */
  namesOf(value: string): readonly string[] | undefined {
    const known = this.#names.get(value);
    if (known !== undefined) return known ?? undefined;
    const name = nameOf(value, this.#regex);
    const names = name === undefined ? null : Object.freeze([name]);
    this.#names.remember(value, names);
    return names ?? undefined;
  }
}
