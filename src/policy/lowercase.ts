const CAPITAL_I_WITH_DOT = '\u0130';

/**
 * The Unicode version whose lowercase mappings tenantgate applies: that of Go 1.21 to 1.26,
 * which GEM is built with. Go 1.27 moves to Unicode 17.0.0; moving with it is one change
 * here (see {@link LATER_CAPITALS}).
 */
export const GO_UNICODE_VERSION = '15.0.0';

/**
 * Capital letters whose lowercase mapping came with a Unicode version after 13.0, as
 * `[first, last, offset to the lowercase letter or a fixed lowercase letter, version]`.
 * The JavaScript runtime's own mapping follows its ICU (Unicode 17 in Node 20.20, older or
 * newer in Bun and Deno), so for these letters tenantgate decides, by
 * {@link GO_UNICODE_VERSION}, rather than the runtime.
 */
const LATER_CAPITALS: readonly (readonly [number, number, { offset: number } | { to: number }, number])[] = [
  [0x2c2f, 0x2c2f, { offset: 0x30 }, 14],
  [0xa7c0, 0xa7c0, { offset: 1 }, 14],
  [0xa7d0, 0xa7d0, { offset: 1 }, 14],
  [0xa7d6, 0xa7d6, { offset: 1 }, 14],
  [0xa7d8, 0xa7d8, { offset: 1 }, 14],
  [0x10570, 0x1057a, { offset: 0x27 }, 14],
  [0x1057c, 0x1058a, { offset: 0x27 }, 14],
  [0x1058c, 0x10592, { offset: 0x27 }, 14],
  [0x10594, 0x10595, { offset: 0x27 }, 14],
  [0x1c89, 0x1c89, { offset: 1 }, 16],
  [0xa7cb, 0xa7cb, { to: 0x264 }, 16],
  [0xa7cc, 0xa7cc, { offset: 1 }, 16],
  [0xa7da, 0xa7da, { offset: 1 }, 16],
  [0xa7dc, 0xa7dc, { to: 0x19b }, 16],
  [0x10d50, 0x10d65, { offset: 0x20 }, 16],
  [0xa7ce, 0xa7ce, { offset: 1 }, 17],
  [0xa7d2, 0xa7d2, { offset: 1 }, 17],
  [0xa7d4, 0xa7d4, { offset: 1 }, 17],
  [0x16ea0, 0x16eb8, { offset: 0x1b }, 17],
];

const GO_MAJOR = Number(GO_UNICODE_VERSION.split('.')[0]);

/** Each later capital, to its lowercase letter as Go lowercases it (itself when Go is older). */
const LATER_LOWERCASE: ReadonlyMap<string, string> = new Map(
  LATER_CAPITALS.flatMap(([first, last, mapping, version]) =>
    Array.from({ length: last - first + 1 }, (_, index): [string, string] => {
      const capital = first + index;
      const lower = 'to' in mapping ? mapping.to : capital + mapping.offset;
      return [String.fromCodePoint(capital), String.fromCodePoint(version <= GO_MAJOR ? lower : capital)];
    }),
  ),
);

/**
 * Lowercases like Go's `strings.ToLower`, which GEM uses: each code point through its
 * simple Unicode lowercase mapping, with no context and no locale. JavaScript's
 * `toLowerCase` differs only where a full mapping applies: `İ` becomes `i` + U+0307, and
 * a word-final `Σ` becomes `ς`. Lowercasing one code point at a time, with `İ` mapped to
 * `i`, gives Go's result; letters newer than Unicode 13 follow {@link GO_UNICODE_VERSION}.
 */
export function goLowercase(text: string): string {
  // Plain ASCII is the common case and lowercases the same either way.
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  let lower = '';
  for (const character of text) {
    if (character === CAPITAL_I_WITH_DOT) lower += 'i';
    else lower += LATER_LOWERCASE.get(character) ?? character.toLowerCase();
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
