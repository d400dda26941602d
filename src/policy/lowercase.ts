const CAPITAL_I_WITH_DOT = '\u0130';

/**
 * Lowercases like Go's `strings.ToLower`, which GEM uses: each code point through its
 * simple Unicode lowercase mapping, with no context and no locale. JavaScript's
 * `toLowerCase` differs only where a full mapping applies: `İ` becomes `i` + U+0307, and
 * a word-final `Σ` becomes `ς`. Lowercasing one code point at a time, with `İ` mapped to
 * `i`, gives Go's result.
 */
export function goLowercase(text: string): string {
  // Plain ASCII is the common case and lowercases the same either way.
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  let lower = '';
  for (const character of text) {
    lower += character === CAPITAL_I_WITH_DOT ? 'i' : character.toLowerCase();
  }
  return lower;
}

/** Orders strings by code point, as Go's `sort.Strings` orders UTF-8 bytes. */
export function compareCodePoints(left: string, right: string): number {
  const a = [...left];
  const b = [...right];
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const difference = (a[index]?.codePointAt(0) ?? 0) - (b[index]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
