import type { z } from 'zod';
import { closestName } from '../base/near-miss.js';

type Issue = z.core.$ZodIssue;

/**
 * The words for one kind of options: what each value must be and which keys each object
 * takes, both keyed by path pattern. A pattern is the path with list indexes as `[]` and
 * the keys of `records` (free names, such as policy names) as `*`:
 * `accessPolicies.*.realms[].tenant`.
 * @internal
 */
export interface OptionVocabulary {
  /** How the whole is named at the start of a sentence, such as "The options". */
  whole: string;
  /** What each value must be, in words. */
  expected: Readonly<Record<string, string>>;
  /** The keys each object takes, for "did you mean" hints. */
  keys: Readonly<Record<string, readonly string[]>>;
  /** Patterns of records keyed by free names. */
  records?: readonly string[];
  /**
   * Whether a wrong value is quoted (`got "x"`) or only its type is named (`got a string`):
   * values from a store may hold anything, and only options are the caller's own text.
   */
  quoteValues?: boolean;
}

/** Turns zod issues into plain sentences naming each option, in the words of `vocabulary`. @internal */
export function describeProblems(issues: readonly Issue[], vocabulary: OptionVocabulary): string[] {
  return issues.flatMap((issue) => {
    const path = formatPath(issue.path);
    const pattern = patternOf(issue.path, vocabulary.records ?? []);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => unknownOption(path, pattern, key, vocabulary));
    }
    const name = path === '' ? vocabulary.whole : `\`${path}\``;
    if (issue.code === 'custom') return [`${name} ${issue.message}.`];
    const expected = Object.hasOwn(vocabulary.expected, pattern) ? vocabulary.expected[pattern] : undefined;
    if (expected !== undefined || issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      const wanted = expected ?? describeZodExpectation(issue);
      if (issue.input === undefined) {
        return [path === '' ? `${name} are required: they must be ${wanted}.` : `${name} is required: it must be ${wanted}.`];
      }
      return [`${name} must be ${wanted}; got ${describeValue(issue.input, vocabulary.quoteValues === true)}.`];
    }
    if (issue.code === 'too_small') {
      return [issue.origin === 'number' ? `${name} must be at least ${issue.minimum}.` : `${name} must not be empty.`];
    }
    return [`${name} is invalid: ${issue.message}.`];
  });
}

/** "`x` is not an option", with the known key it most likely meant. @internal */
export function unknownOption(parent: string, pattern: string, key: string, vocabulary: OptionVocabulary): string {
  const full = parent === '' ? key : `${parent}.${key}`;
  const close = closestName(key, Object.hasOwn(vocabulary.keys, pattern) ? (vocabulary.keys[pattern] ?? []) : []);
  // Deep paths name only the key: repeating `accessPolicies.team1.realms[0].` hides it.
  const shown = close === undefined || parent === '' || /[.[]/.test(parent) ? close : `${parent}.${close}`;
  return `\`${full}\` is not an option${shown === undefined ? '' : ` (did you mean \`${shown}\`?)`}.`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function patternOf(path: readonly PropertyKey[], records: readonly string[]): string {
  let pattern = '';
  for (const segment of path) {
    if (typeof segment === 'number') pattern += '[]';
    else {
      const key = records.includes(pattern) ? '*' : String(segment);
      pattern += pattern === '' ? key : `.${key}`;
    }
  }
  return pattern;
}

function describeZodExpectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return `of type ${issue.expected}`;
  return 'a valid value';
}

/** The value in a few words: quoted when allowed, cut at 60 characters. @internal */
export function describeValue(value: unknown, quote = true): string {
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (!quote) return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  }
  return `a value of type ${typeof value}`;
}
