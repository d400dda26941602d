import { z } from 'zod';
import { accessPolicySchema, type NamedAccessPolicy } from './access-policy.js';
import { describeProblems, type OptionVocabulary } from '../base/problem-sentences.js';
import { GEM_FILE, gemSchemaFor, policiesOfGemDocument } from './gem-policy-format.js';
import { goLowercase } from './lowercase.js';
import { lineOfJsonPath } from './json-position.js';
import { loadOptionalPeer, type PeerRequire } from './optional-peer.js';
import { policyWords } from './policy-vocabulary.js';

/** How a policy file is written. */
export type PolicySyntax = 'json' | 'yaml';
/** Whose shape its policies have: tenantgate's (as in `accessPolicies`) or GEM's admin API. */
export type PolicyFormat = 'tenantgate' | 'gem';

/** The policies of a document, or what is wrong with it (at which line, when known). @internal */
export type DocumentOutcome = { policies: NamedAccessPolicy[] } | { reason: string; line?: number };

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

interface YamlNode {
  range?: [number, number, number] | null;
}
interface YamlModule {
  LineCounter: new () => { linePos(offset: number): { line: number; col: number } };
  parseDocument(
    text: string,
    options: { lineCounter: unknown; prettyErrors: boolean },
  ): {
    errors: Array<{ message: string; linePos?: [{ line: number }, ...unknown[]] }>;
    toJS(options: { maxAliasCount: number }): unknown;
    getIn(path: Iterable<unknown>, keepScalar: true): unknown;
  };
}

const policyList = policyWords('[]');
const policyRecord = policyWords('*');
const TENANTGATE_FILE: OptionVocabulary = {
  whole: 'The policy file',
  quoteValues: true,
  records: [''],
  expected: {
    '': 'an object of access policies keyed by name, or a list of access policies with their names',
    '[].name': 'the policy name, a non-empty string',
    ...policyList.expected,
    ...policyRecord.expected,
  },
  keys: { ...policyList.keys, '[]': [...(policyList.keys['[]'] ?? []), 'name'], ...policyRecord.keys },
};
const namedPolicy = accessPolicySchema.extend({ name: z.string().min(1) });

/**
 * Reads the policies of a policy file's text: parses JSON or YAML, validates the policies in
 * the given format, and checks their names (lowercase, each once).
 * @internal
 */
export function readPolicyDocument(
  text: string,
  syntax: PolicySyntax,
  format: PolicyFormat,
  loadYaml?: PeerRequire,
): DocumentOutcome {
  let raw: unknown;
  let lineOf: (path: Path) => number | undefined;
  if (syntax === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const position = /at position (\d+)/.exec(message)?.[1];
      const offset = position === undefined ? text.length : Number(position);
      return { reason: `is not valid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}`, line: lineAt(text, offset) };
    }
    lineOf = (path) => lineOfJsonPath(text, path);
  } else {
    const yaml = loadOptionalPeer('yaml', 'Reading a YAML policy file', loadYaml) as YamlModule;
    const lineCounter = new yaml.LineCounter();
    const document = yaml.parseDocument(text, { lineCounter, prettyErrors: true });
    const [first] = document.errors;
    if (first !== undefined) {
      const message = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return { reason: `is not valid YAML: ${message}`, ...(first.linePos ? { line: first.linePos[0].line } : {}) };
    }
    raw = document.toJS({ maxAliasCount: 100 });
    lineOf = (path) => {
      // A missing key has no node: the nearest enclosing one gives the line.
      for (let length = path.length; length >= 0; length -= 1) {
        const node = document.getIn(path.slice(0, length), true) as YamlNode | undefined;
        const offset = node?.range?.[0];
        if (offset !== undefined) return lineCounter.linePos(offset).line;
      }
      return undefined;
    };
  }
  const checked = format === 'gem' ? checkGem(raw) : checkTenantgate(raw);
  if (checked.issues.length === 0) return { policies: checked.policies };
  const [issue] = checked.issues as [Issue, ...Issue[]];
  const sentences = checked.issues.map((each) => `${policyContext(raw, each.path)}${describeProblems([each], checked.vocabulary).join(' ')}`);
  const more = sentences.length > 1 ? ` (and ${sentences.length - 1} more problem${sentences.length > 2 ? 's' : ''})` : '';
  const line = lineOf(issue.path);
  return { reason: `${sentences[0]}${more}`, ...(line === undefined ? {} : { line }) };
}

interface Checked {
  policies: NamedAccessPolicy[];
  issues: Issue[];
  vocabulary: OptionVocabulary;
}

function checkGem(raw: unknown): Checked {
  const parsed = gemSchemaFor(raw).safeParse(raw, { reportInput: true });
  if (!parsed.success) return { policies: [], issues: parsed.error.issues, vocabulary: GEM_FILE };
  const prefix: PropertyKey[] = Array.isArray(raw) ? [] : ['items'];
  const all = Array.isArray(parsed.data) ? parsed.data : parsed.data.items;
  const issues = nameIssues(all.map((policy, index) => ({ name: policy.name, path: [...prefix, index, 'name'] })));
  return { policies: issues.length === 0 ? policiesOfGemDocument(parsed.data) : [], issues, vocabulary: GEM_FILE };
}

function checkTenantgate(raw: unknown): Checked {
  const issues: Issue[] = [];
  const policies: NamedAccessPolicy[] = [];
  const entries: Array<[PropertyKey[], unknown, string | undefined]> = [];
  if (Array.isArray(raw)) {
    raw.forEach((value, index) => entries.push([[index], value, undefined]));
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [name, value] of Object.entries(raw)) entries.push([[name], value, name]);
  } else {
    const parsed = namedPolicy.array().safeParse(raw, { reportInput: true });
    return { policies, issues: parsed.success ? [] : parsed.error.issues, vocabulary: TENANTGATE_FILE };
  }
  const names: Array<{ name: string; path: PropertyKey[] }> = [];
  for (const [path, value, key] of entries) {
    const parsed = key === undefined ? namedPolicy.safeParse(value, { reportInput: true }) : accessPolicySchema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ ...issue, path: [...path, ...issue.path] });
      continue;
    }
    const name = key ?? (parsed.data as NamedAccessPolicy).name;
    names.push({ name, path: key === undefined ? [...path, 'name'] : path });
    policies.push({ ...parsed.data, name });
  }
  issues.push(...nameIssues(names));
  return { policies, issues, vocabulary: TENANTGATE_FILE };
}

/** Names no token could select (not lowercase) and names given twice. */
function nameIssues(names: ReadonlyArray<{ name: string; path: PropertyKey[] }>): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const { name, path } of names) {
    const lower = goLowercase(name);
    if (name !== lower) {
      const message = `names the policy "${name}", which no token can name: names from tokens are lowercased, so call it "${lower}"`;
      issues.push({ code: 'custom', message, path, input: name });
    } else if (seen.has(name)) {
      issues.push({ code: 'custom', message: `names the policy "${name}" a second time`, path, input: name });
    }
    seen.add(name);
  }
  return issues;
}

/** "In policy "team1": " for a problem inside a policy of a list, whose path shows only its index. */
function policyContext(raw: unknown, path: Path): string {
  const list = Array.isArray(raw) ? raw : path[0] === 'items' ? (raw as { items?: unknown }).items : undefined;
  const index = Array.isArray(raw) ? path[0] : path[1];
  if (!Array.isArray(list) || typeof index !== 'number' || path.length < (Array.isArray(raw) ? 2 : 3)) return '';
  const name = (list[index] as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? `In policy ${JSON.stringify(name)}: ` : '';
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset && index < text.length; index += 1) if (text.charCodeAt(index) === 10) line += 1;
  return line;
}
