/** What walking a pattern's escapes found. */
interface Escapes {
  /** A `\C` (any byte) outside a quote. */
  anyByte: boolean;
  /** A `\Q` that no `\E` closes: the rest of the pattern is literal. */
  openQuote: boolean;
}

/**
 * Walks the escapes of an RE2 pattern. `\\C` (an escaped backslash, then C) is a literal,
 * and so is anything between `\Q` and `\E`, so the pattern is read escape by escape
 * rather than searched.
 */
function scanEscapes(pattern: string): Escapes {
  for (let index = 0; index < pattern.length; index += 1) {
    if (pattern[index] !== '\\') continue;
    const escaped = pattern[index + 1];
    if (escaped === 'C') return { anyByte: true, openQuote: false };
    if (escaped === 'Q') {
      const end = pattern.indexOf('\\E', index + 2);
      // Like Go, a \Q without \E quotes the rest of the pattern.
      if (end === -1) return { anyByte: false, openQuote: true };
      index = end + 1;
    } else {
      index += 1;
    }
  }
  return { anyByte: false, openQuote: false };
}

/**
 * Why Go's `regexp`, which GEM compiles `access_policy_regex` with, would refuse a pattern
 * that RE2 (the `re2` package) accepts, or `undefined`. The one such escape is `\C` (any
 * byte): RE2 takes it, Go rejects it as an invalid escape wherever it stands (inside a
 * character class RE2 refuses it too), so a configuration using it could never be carried
 * over to GEM, and it can split a UTF-8 character.
 * @internal
 */
export function goRegexpProblem(pattern: string): string | undefined {
  if (!scanEscapes(pattern).anyByte) return undefined;
  return "uses \\C (any byte), which RE2 accepts but Go's regexp, used by GEM, rejects as an invalid escape; use . (any character) instead";
}

/**
 * `pattern` as one alternative of a larger pattern: a trailing `\Q` quote is closed first,
 * or it would swallow what follows. @internal
 */
export function enclosable(pattern: string): string {
  return scanEscapes(pattern).openQuote ? `${pattern}\\E` : pattern;
}
