import { loadOptionalPeer, type PeerRequire } from './optional-peer.js';
import { readPromqlString } from './promql-string.js';

/** The parts of a Lezer syntax node read here (Lezer's own types stay out of the public ones). */
interface SyntaxNodeLike {
  readonly type: { readonly name: string; readonly isError: boolean };
  readonly from: number;
  readonly to: number;
  readonly firstChild: SyntaxNodeLike | null;
  readonly nextSibling: SyntaxNodeLike | null;
}

/** What `@prometheus-io/lezer-promql` exports and this module uses. @internal */
export interface PromqlParser {
  parse(input: string): { readonly topNode: SyntaxNodeLike };
}

/** A selector in normal form, or why it is not a vector selector. @internal */
export type SelectorOutcome = { selector: string } | { problem: string };

const PACKAGE = '@prometheus-io/lezer-promql';
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const OPERATORS: Readonly<Record<string, string>> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };
const KINDS: Readonly<Record<string, string>> = {
  FunctionCall: 'a function call',
  MatrixSelector: 'a range selector',
  SubqueryExpr: 'a subquery',
  OffsetExpr: 'a selector with an offset',
  StepInvariantExpr: 'a selector with an @ modifier',
  BinaryExpr: 'a binary expression',
  AggregateExpr: 'an aggregation',
  ParenExpr: 'an expression in parentheses',
  UnaryExpr: 'a unary expression',
  NumberDurationLiteral: 'a number',
  StringLiteral: 'a string',
  LineComment: 'a comment',
};

let parser: PromqlParser | undefined;

/**
 * Loads the PromQL grammar, once, when the first selector needs it: an application whose
 * policies have no label selectors never needs the package.
 * @throws {Error} saying to install `@prometheus-io/lezer-promql` when it is missing
 * @internal
 */
export function promqlParser(load?: PeerRequire): PromqlParser {
  if (parser !== undefined && load === undefined) return parser;
  const loaded = loadOptionalPeer(PACKAGE, 'Checking label selectors', load) as { parser?: PromqlParser };
  if (typeof loaded.parser?.parse !== 'function') throw new Error(`the package ${PACKAGE} has no PromQL parser`);
  if (load === undefined) parser = loaded.parser;
  return loaded.parser;
}

/**
 * Parses a label selector as a PromQL vector selector and writes it in normal form:
 * `{name="value", other=~"re"}`, the metric name first as a `__name__="..."` matcher, the
 * other matchers in source order, values re-quoted with double quotes and Go's escapes, label
 * names that are not plain identifiers quoted. Range selectors, functions, modifiers and
 * comments are refused, and so is a selector without a matcher (`{}`), which Prometheus
 * refuses too.
 * @throws {Error} when the PromQL package is not installed
 * @internal
 */
export function parseLabelSelector(source: string, grammar: PromqlParser = promqlParser()): SelectorOutcome {
  const quoted = quoteForMessage(source);
  const top = grammar.parse(source).topNode;
  const broken = firstError(top);
  if (broken !== undefined) {
    const at = broken.from >= source.length ? 'it ends too early' : `unexpected input at character ${broken.from + 1}`;
    return { problem: `is not a PromQL vector selector: ${quoted} does not parse (${at})` };
  }
  const children = childrenOf(top);
  const only = children.length === 1 ? children[0] : children.find((child) => child.type.name !== 'VectorSelector');
  if (only === undefined || only.type.name !== 'VectorSelector') {
    const kind = only === undefined ? 'empty' : (KINDS[only.type.name] ?? 'another kind of expression');
    return { problem: `must be a PromQL vector selector such as '{env="prod"}': ${quoted} is ${kind}` };
  }
  const matchers: string[] = [];
  let metricName = false;
  for (const part of childrenOf(only)) {
    const name = part.type.name;
    if (name === 'Identifier') {
      matchers.unshift(`__name__="${quoteGo(textOf(source, part))}"`);
      metricName = true;
    } else if (name === 'LabelMatchers') {
      for (const matcher of childrenOf(part)) {
        const written = matcherText(source, matcher);
        if ('problem' in written) return { problem: `is not a valid vector selector: ${quoted} ${written.problem}` };
        if (!written.metricName) {
          matchers.push(written.selector);
        } else if (metricName) {
          return { problem: `is not a valid vector selector: ${quoted} names the metric twice` };
        } else {
          matchers.unshift(written.selector);
          metricName = true;
        }
      }
    }
  }
  if (matchers.length === 0) return { problem: `is not a valid vector selector: ${quoted} has no matcher` };
  return { selector: `{${matchers.join(', ')}}` };
}

type MatcherOutcome = { selector: string; metricName: boolean } | { problem: string };

function matcherText(source: string, matcher: SyntaxNodeLike): MatcherOutcome {
  const parts = childrenOf(matcher);
  if (matcher.type.name === 'QuotedLabelName') {
    // `{"metric.name"}`: a quoted metric name on its own (Prometheus 3).
    const name = stringOf(source, parts[0]);
    return 'problem' in name ? name : { selector: `__name__="${quoteGo(name.value)}"`, metricName: true };
  }
  const [label, op, value] = parts;
  const operator = op?.firstChild === null || op === undefined ? undefined : OPERATORS[op.firstChild.type.name];
  if (label === undefined || operator === undefined || value === undefined) return { problem: 'has an incomplete matcher' };
  const name = label.type.name === 'LabelName' ? { value: textOf(source, label) } : stringOf(source, label.firstChild ?? undefined);
  if ('problem' in name) return name;
  const text = stringOf(source, value);
  if ('problem' in text) return text;
  return { selector: `${labelName(name.value)}${operator}"${quoteGo(text.value)}"`, metricName: false };
}

function stringOf(source: string, node: SyntaxNodeLike | undefined): { value: string } | { problem: string } {
  if (node === undefined) return { problem: 'has an incomplete matcher' };
  return readPromqlString(textOf(source, node));
}

function labelName(name: string): string {
  return LEGACY_LABEL_NAME.test(name) ? name : `"${quoteGo(name)}"`;
}

/** Double-quoted content in Go's `strconv.Quote` style: printable characters as they are, the rest escaped. */
function quoteGo(value: string): string {
  let text = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') text += `\\${char}`;
    else if (char === '\n') text += '\\n';
    else if (char === '\r') text += '\\r';
    else if (char === '\t') text += '\\t';
    else if (char === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(char)) text += char;
    else if (code < 0x80) text += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) text += `\\u${code.toString(16).padStart(4, '0')}`;
    else text += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return text;
}

function quoteForMessage(source: string): string {
  return JSON.stringify(source.length > 80 ? `${source.slice(0, 80)}...` : source);
}

function textOf(source: string, node: SyntaxNodeLike): string {
  return source.slice(node.from, node.to);
}

function childrenOf(node: SyntaxNodeLike): SyntaxNodeLike[] {
  const children: SyntaxNodeLike[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) children.push(child);
  return children;
}

function firstError(node: SyntaxNodeLike): SyntaxNodeLike | undefined {
  if (node.type.isError) return node;
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    const found = firstError(child);
    if (found !== undefined) return found;
  }
  return undefined;
}
