import fc from 'fast-check';

/** One regex and the claim values to run it on, as the Go oracle reads them. */
export interface CorpusCase {
  pattern: string;
  values: string[];
}

/**
 * Characters where lowercasing or case folding is easy to get wrong: dotted and dotless I,
 * long s, the Kelvin and Angstrom signs, the three sigmas, both sharp s, the titlecase
 * digraph triple, micro sign and mu, the iota subscript, a letter whose lowercase is longer
 * in UTF-8 (Ⱥ, ⱥ), Cherokee (lowercase outside the BMP block of its capitals), Georgian
 * Mtavruli, Deseret (astral, with case), a mathematical letter and an emoji (astral, no case).
 */
export const CASE_CORNERS = [
  'İ', 'ı', 'ſ', '\u212a', '\u212b', 'Σ', 'σ', 'ς', 'ẞ', 'ß', 'Ǆ', 'ǅ', 'ǆ', 'µ', 'Μ', 'μ',
  '\u0345', 'ι', '\u1fbe', 'ϐ', 'Ⱥ', 'ⱥ', 'Ꭰ', 'ꭰ', 'Ა', 'ა', '𐐀', '𐐨', '𝔸', '😀', 'Å', 'å',
];

/** Combining marks: acute, dot above, and the ones GEM names could carry after a letter. */
const COMBINING = ['\u0301', '\u0307', '\u0308'];

const ASCII = ['a', 'i', 'k', 's', 'z', 'A', 'I', 'K', 'S', 'Z', '0', '7', '-', '_', '.', ' ', '\n'];

/** Characters values are made of; lone surrogates only in values (Go reads them as U+FFFD). */
const VALUE_CHARACTERS = [...ASCII, ...ASCII, ...CASE_CORNERS, ...COMBINING, '\ud800', '\udc00', '\udbff\ud800'];

const META = new Set([...'\\.+*?()|[]{}^$']);

function literal(character: string): string {
  if (character === '\n') return '\\n';
  return META.has(character) ? `\\${character}` : character;
}

/**
 * Atoms that consume a character, each valid in Go's regexp, RE2 and RE2/J alike, with
 * characters they match: the first always, the others only under `(?i)` or not at all.
 */
const CLASSES: readonly (readonly [string, string])[] = [
  ['.', 'aΣ😀\n'], ['\\d', '07'], ['\\w', 'k_ſ'], ['\\s', ' \n'], ['\\S', 'ıK'], ['\\pL', 'İǅ𐐀'],
  ['\\p{Lu}', 'ΣǄ𐐀\u212a'], ['\\p{Ll}', 'ςǆ𐐨ı'], ['\\p{Lt}', 'ǅ'], ['\\p{Greek}', 'Σςµ\u1fbe'],
  ['\\p{Latin}', 'ſ\u212aẞ'], ['\\PL', '7\u0301😀'], ['\\pM', '\u0301\u0345'], ['\\p{Mn}', '\u0307'],
  ['[a-z]', 'kſK'], ['[^a-z]', 'İ\u212a'], ['[[:alpha:]]', 'aſ'], ['[[:^digit:]]', 'Σ0'], ['[α-ω]', 'σςΣ'],
  ['[Α-Ω]', 'Σσ'], ['[kK]', 'k\u212a'], ['[İı]', 'İıi'], ['[^\\p{Greek}]', 'aΣ'], ['\\x{212A}', '\u212ak'],
  ['\\x{1F600}', '😀'], ['[\\x{10400}-\\x{1044F}]', '𐐀𐐨'], ['[sſ]', 'sSſ'], ['(?i:σ)', 'Σς'],
  ['(?i:k)', '\u212aK'], ['(?i:ß)', 'ẞß'], ['(?i:ǆ)', 'ǄǅǊ'], ['(?i:i)', 'Iİı'], ['(?i:µ)', 'Μμ'],
  ['(?-i:K)', 'Kk'], ['[\\p{Greek}\\d]', 'ϐ7'], ['(?i:å)', '\u212bÅ'], ['(?i:ι)', '\u0345\u1fbeΙ'],
];

/** Zero-width assertions inside a pattern; anchors come only at its ends. */
const ASSERTIONS = ['\\b', '\\B'];

/** Each quantifier and how many copies of a sample it takes: [fewest, most]. */
const QUANTIFIERS: readonly (readonly [string, number, number])[] = [
  ['', 1, 1], ['', 1, 1], ['', 1, 1], ['*', 0, 2], ['+', 1, 2], ['?', 0, 1], ['{2}', 2, 2], ['{1,3}', 1, 3],
  ['*?', 0, 2], ['+?', 1, 2], ['??', 0, 1],
];
const FLAGS = ['', '', '(?i)', '(?i)', '(?s)', '(?U)', '(?is)', '(?m)'];

/** Case variants a value may swap a character for: what `(?i)` must fold, and Go lowercase. */
const VARIANTS: Readonly<Record<string, string>> = {
  k: 'K\u212a', K: 'k\u212a', s: 'Sſ', S: 'sſ', i: 'Iİı', I: 'iİı', σ: 'Σς', Σ: 'σς', ς: 'Σσ', ß: 'ẞ',
  ǆ: 'Ǆǅ', Ǆ: 'ǅǆ', µ: 'Μμ', ι: '\u0345\u1fbeΙ', å: 'Å\u212b', '𐐨': '𐐀', '𐐀': '𐐨', a: 'A', z: 'Z',
};

/** A regex fragment and a string it (probably) matches. */
interface Piece {
  regex: string;
  sample: string;
}

function pick(text: string, choice: number): string {
  const characters = [...text];
  return characters[choice % characters.length] ?? '';
}

/** Mostly the example that matches for sure, one time in four another. */
function example(examples: string, choice: number): string {
  return choice % 4 === 0 ? pick(examples, choice >> 2) : pick(examples, 0);
}

const consuming = fc.oneof(
  fc.constantFrom(...CLASSES).map(([regex, examples]) => ({ regex, examples })),
  fc.constantFrom(...ASCII, ...CASE_CORNERS, ...COMBINING).map((character) => ({ regex: literal(character), examples: character })),
);
const piece = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(consuming, fc.constantFrom(...QUANTIFIERS), fc.nat(), fc.nat()).map(([atom, [quantifier, fewest, most], count, choice]): Piece => {
      const copies = fewest + (count % (most - fewest + 1));
      return { regex: atom.regex + quantifier, sample: Array.from({ length: copies }, (_, at) => example(atom.examples, choice + at)).join('') };
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...ASSERTIONS).map((regex): Piece => ({ regex, sample: '' })) },
);
const sequenceOf = (minLength: number) =>
  fc.array(piece, { minLength, maxLength: 3 }).map((pieces): Piece => ({
    regex: pieces.map((part) => part.regex).join(''),
    sample: pieces.map((part) => part.sample).join(''),
  }));
const sequence = sequenceOf(0);
const alternation = fc.tuple(fc.array(sequenceOf(1), { minLength: 1, maxLength: 3 }), fc.nat()).map(([sequences, choice]): Piece => ({
  regex: sequences.map((part) => part.regex).join('|'),
  sample: sequences[choice % sequences.length]?.sample ?? '',
}));

/**
 * A policy-like pattern and a value it should match: flags, an optional anchor, a prefix,
 * the capture group (sometimes inside an alternative that may not take part, sometimes
 * followed by a second group), a suffix.
 */
const patternAndSample = fc
  .record({
    flags: fc.constantFrom(...FLAGS),
    anchors: fc.constantFrom<[string, string]>(['', ''], ['', ''], ['^', ''], ['', '$'], ['\\A', '\\z'], ['^', '$']),
    before: sequence,
    group: alternation,
    quantifier: fc.constantFrom('', '', '', '', '+', '*', '?'),
    form: fc.constantFrom('plain', 'plain', 'optional-branch', 'second-group'),
    other: sequence,
    after: sequence,
  })
  .map(({ flags, anchors: [start, end], before, group, quantifier, form, other, after }): Piece => {
    const captured = `(${group.regex})${quantifier}`;
    const middle =
      form === 'optional-branch' ? `(?:${captured}|${other.regex})` : form === 'second-group' ? `${captured}(${other.regex})` : captured;
    const sample = before.sample + (form === 'optional-branch' ? group.sample : group.sample + (form === 'second-group' ? other.sample : '')) + after.sample;
    return { regex: `${flags}${start}${before.regex}${middle}${after.regex}${end}`, sample };
  });

const noise = fc.array(fc.constantFrom(...VALUE_CHARACTERS), { minLength: 0, maxLength: 3 }).map((parts) => parts.join(''));

/** A sample with some characters swapped for a case variant. */
function twisted(sample: string, choices: number[]): string {
  return [...sample]
    .map((character, at) => {
      const variants = VARIANTS[character];
      const choice = choices[at % Math.max(choices.length, 1)] ?? 0;
      return variants === undefined || choice % 3 !== 0 ? character : pick(variants, choice);
    })
    .join('');
}

const valueFor = (sample: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(noise, noise).map(([left, right]) => left + sample + right) },
    { weight: 3, arbitrary: fc.tuple(noise, noise, fc.array(fc.nat(), { minLength: 1, maxLength: 8 })).map(([left, right, choices]) => left + twisted(sample, choices) + right) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...VALUE_CHARACTERS), { maxLength: 10 }).map((parts) => parts.join('')) },
  );

/** The policy-like corpus: `size` patterns with `valuesPerCase` values each, fixed by `seed`. */
export function generatedCorpus(seed: number, size: number, valuesPerCase: number): CorpusCase[] {
  const corpusCase = patternAndSample.chain(({ regex, sample }) =>
    fc.array(valueFor(sample), { minLength: valuesPerCase, maxLength: valuesPerCase }).map((values) => ({ pattern: regex, values })),
  );
  return fc.sample(corpusCase, { seed, numRuns: size });
}

/**
 * Every code point of the given ranges, 128 to a value, run through `(?s)(.+)`: the whole
 * value is the group, so the names compare lowercasing code point by code point. The
 * ranges hold every cased script whose case mappings did not change between the Unicode
 * version of Go 1.19 (13.0) and that of Node's ICU.
 */
export function lowercaseSweep(ranges: readonly (readonly [number, number])[]): CorpusCase {
  const values: string[] = [];
  for (const [first, last] of ranges) {
    for (let start = first; start <= last; start += 128) {
      let text = '';
      for (let codePoint = start; codePoint <= Math.min(last, start + 127); codePoint += 1) text += String.fromCodePoint(codePoint);
      values.push(text);
    }
  }
  return { pattern: '(?s)(.+)', values };
}

/** Patterns Go's regexp refuses; each must be a ConfigError whichever engine runs. */
export const REFUSED_BY_GO = ['(a)\\1', '(?=a)(.*)', '(?!a)(.*)', '(?<=a)(.*)', '(?<!a)(.*)', 'pref-\\C(.*)', '(a', '(a)**', 'x{1001}(a)', '(?P<>a)'];

/** Every code point but the surrogates, `perText` to a text. */
export function everyCodePoint(perText: number): string[] {
  const texts: string[] = [];
  let text: string[] = [];
  for (let codePoint = 0; codePoint <= 0x10ffff; codePoint += 1) {
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
    text.push(String.fromCodePoint(codePoint));
    if (text.length === perText) {
      texts.push(text.join(''));
      text = [];
    }
  }
  if (text.length > 0) texts.push(text.join(''));
  return texts;
}
