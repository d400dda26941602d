/**
 * The known name `key` was most likely meant to be, for "did you mean" hints: the same name
 * in another case or with `_`/`-` (`issuerURL`, `display_name`), a plural or a typo within a
 * small edit distance (`scopes`, `tennantHeader`), or, failing those, the one name it is a
 * prefix of (`auth` for `authenticator`). `undefined` when nothing is close enough, since a
 * wrong hint misleads more than none.
 * @internal
 */
export function closestName(key: string, candidates: readonly string[]): string | undefined {
  const wanted = normalized(key);
  const same = candidates.find((candidate) => normalized(candidate) === wanted);
  if (same !== undefined) return same;
  // One edit is enough to catch short typos; longer names tolerate two without false hits.
  const allowed = wanted.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalized(candidate), bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || wanted.length < 4) return best;
  const extended = candidates.filter((candidate) => normalized(candidate).startsWith(wanted));
  return extended.length === 1 ? extended[0] : undefined;
}

function normalized(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Edits (insertions, deletions, substitutions, swaps of neighbours) from `a` to `b`; any
 * answer of at least `limit` means "too far", which lets long unrelated names stop early.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(value);
      rowBest = Math.min(rowBest, value);
    }
    if (rowBest >= limit) return limit;
    beforePrevious = previous;
    previous = current;
  }
  return Math.min(previous[b.length] ?? limit, limit);
}
