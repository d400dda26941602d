// Parsing PromQL for the gateway's label enforcement with @prometheus-io/lezer-promql, the
// grammar Prometheus' own web UI uses. Lezer recovers from syntax errors instead of failing,
// so this module looks for error nodes itself: a query the gateway could misread is refused.
import { parser } from '@prometheus-io/lezer-promql';

const MATCHER_NODES = new Set(['UnquotedLabelMatcher', 'QuotedLabelMatcher', 'QuotedLabelName']);

/**
 * Parses `text`; lezer recovers from errors, so error nodes and unterminated strings are
 * looked for explicitly and reported with their position.
 *
 * @param {string} text
 * @param {string} what
 * @returns {{ tree: import('@lezer/common').Tree } | { invalid: string }}
 */
export function treeOf(text, what) {
  if (text.trim() === '') return { invalid: `${what} is empty` };
  const tree = parser.parse(text);
  /** @type {number | undefined} */
  let problem;
  tree.iterate({
    enter(node) {
      if (problem !== undefined) return false;
      const broken = node.type.isError || (node.name === 'StringLiteral' && !isTerminated(text.slice(node.from, node.to)));
      if (broken) problem = node.from;
      return undefined;
    },
  });
  if (problem === undefined) return { tree };
  return { invalid: `${what} does not parse: unexpected input at ${positionOf(text, problem)}` };
}

/** @param {string} literal */
function isTerminated(literal) {
  const quote = literal[0];
  if (quote === '`') return literal.length >= 2 && literal.endsWith('`');
  for (let index = 1; index < literal.length; index += 1) {
    if (literal[index] === '\\') index += 1;
    else if (literal[index] === quote) return index === literal.length - 1;
  }
  return false;
}

/**
 * @param {string} text
 * @param {number} offset
 */
function positionOf(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column} (offset ${offset})`;
}

/**
 * The VectorSelector node when the whole expression is one, else null.
 *
 * @param {import('@lezer/common').Tree} tree
 */
export function loneSelectorOf(tree) {
  const children = [];
  for (let child = tree.topNode.firstChild; child !== null; child = child.nextSibling) {
    if (child.name !== 'LineComment') children.push(child);
  }
  const [only] = children;
  return children.length === 1 && only?.name === 'VectorSelector' ? only : null;
}

/**
 * Matcher children of a LabelMatchers node (comments are nodes too, and are skipped).
 *
 * @param {import('@lezer/common').SyntaxNode} labels
 */
export function matcherNodesOf(labels) {
  const nodes = [];
  for (let child = labels.firstChild; child !== null; child = child.nextSibling) {
    if (MATCHER_NODES.has(child.name)) nodes.push(child);
  }
  return nodes;
}

