// Label-policy enforcement for the gateway (issue 20): a tenant whose access policy carries
// label selectors may only read the series those selectors match. The selectors are ANDed
// into every vector selector of the PromQL it sends. Selectors are found in the
// @prometheus-io/lezer-promql syntax tree and the new text is built by inserting matchers at
// the tree's offsets: a regex over the text cannot tell a selector from a string or a comment.
// Whatever cannot be expressed exactly is refused, never widened.
import RE2 from 're2';
import { parseLiteral, promqlString, quoteMeta } from './promql-literals.js';
import { loneSelectorOf, matcherNodesOf, treeOf } from './promql-tree.js';

/**
 * @typedef {{ name: string, op: string, value: string }} Matcher
 * @typedef {{ query: string } | { refused: string } | { invalid: string }} QueryOutcome
 * @typedef {{ matches: string[] } | { refused: string } | { invalid: string }} MatchOutcome
 * @typedef {{ matchers: string[] } | { refused: string }} Plan
 */

const UNQUOTED_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Restricts a PromQL query to the series `selectors` match. `null` (unrestricted) returns the
 * query unchanged. One selector: its matchers are added to every vector selector, inside
 * functions, aggregations, subqueries and both sides of binary operators; a matcher of the
 * query on the same label stays, which only narrows. Several selectors: see `planFor`.
 *
 * @param {string} query
 * @param {string[] | null} selectors the tenant's selectors, OR-ed (`selectorsFor(tenant)`)
 * @returns {QueryOutcome} `invalid` (the query does not parse: answer 400) or `refused` (403)
 */
export function enforceSelectors(query, selectors) {
  if (selectors === null) return { query };
  const tree = treeOf(query, 'the query');
  if ('invalid' in tree) return tree;
  const plan = planFor(selectors);
  if ('refused' in plan) return plan;
  const rewritten = rewrite(query, tree.tree, plan.matchers, 'the query');
  return 'text' in rewritten ? { query: rewritten.text } : rewritten;
}

/**
 * Restricts the `match[]` series selectors of `series`, `labels` and `label/<name>/values`.
 * An empty list, for a restricted tenant, becomes the tenant's own selector: without
 * `match[]` those endpoints would answer from every series of the tenant.
 *
 * @param {string[]} matches
 * @param {string[] | null} selectors
 * @returns {MatchOutcome}
 */
export function enforceMatchers(matches, selectors) {
  if (selectors === null) return { matches };
  const plan = planFor(selectors);
  if ('refused' in plan) return plan;
  if (matches.length === 0) return { matches: [`{${plan.matchers.join(', ')}}`] };
  const rewritten = [];
  for (const match of matches) {
    const tree = treeOf(match, 'match[]');
    if ('invalid' in tree) return tree;
    if (loneSelectorOf(tree.tree) === null) {
      return { invalid: 'match[] must be a series selector such as up{job="api"}, not an expression' };
    }
    const result = rewrite(match, tree.tree, plan.matchers, 'match[]');
    if (!('text' in result)) return result;
    rewritten.push(result.text);
  }
  return { matches: rewritten };
}

/**
 * Turns the tenant's selectors into the matchers to add. Duplicates count once. Several
 * selectors are one OR; PromQL can only express that inside a selector when each is a single
 * `=` or `=~` matcher on the same label, as one regex union (`team=~"a|b|c.*"`). Anything
 * else (different labels, negative matchers, several matchers in one selector) is refused.
 *
 * @param {string[]} selectors
 * @returns {Plan}
 */
export function planFor(selectors) {
  if (selectors.length === 0) return { refused: 'no label selector of the access policy covers this tenant' };
  /** @type {Map<string, Matcher[]>} */
  const unique = new Map();
  for (const selector of selectors) {
    const matchers = matchersOfSelector(selector);
    if (matchers === undefined) return { refused: 'a label selector of the access policy cannot be read as a PromQL series selector' };
    unique.set(selectorText(matchers), matchers);
  }
  const lists = [...unique.values()];
  if (lists.length === 1 && lists[0] !== undefined) return { matchers: lists[0].map(matcherText) };
  const shown = [...unique.keys()].join(', ');
  const cannot = `the label selectors ${shown} cannot be enforced as one query`;
  for (const [text, matchers] of unique) {
    if (matchers.length !== 1) return { refused: `${cannot}: ${text} has ${matchers.length} matchers, and only selectors of one matcher each can be joined` };
    const op = matchers[0]?.op;
    if (op !== '=' && op !== '=~') return { refused: `${cannot}: ${text} uses the negative matcher ${op}, and a union of negations would widen the result` };
  }
  const flat = lists.map((list) => /** @type {Matcher} */ (list[0]));
  const names = [...new Set(flat.map((matcher) => matcher.name))];
  if (names.length !== 1) return { refused: `${cannot}: they constrain different labels (${names.join(', ')})` };
  return unionOf(flat, cannot);
}

/**
 * @param {Matcher[]} matchers on one label, `=` or `=~`
 * @param {string} cannot
 * @returns {Plan}
 */
function unionOf(matchers, cannot) {
  const alternatives = [];
  for (const { op, value } of matchers) {
    if (op === '=') {
      alternatives.push(quoteMeta(value));
      continue;
    }
    // A pattern that does not compile alone could close a group opened by its neighbour.
    if (!compiles(value)) return { refused: `${cannot}: the regex ${promqlString(value)} does not compile` };
    // Flags such as (?i) and alternations stay inside their own group.
    alternatives.push(/[|()]/.test(value) ? `(?:${value})` : value);
  }
  const union = alternatives.join('|');
  if (!compiles(union)) return { refused: `${cannot}: their regex union does not compile` };
  const name = /** @type {Matcher} */ (matchers[0]).name;
  return { matchers: [matcherText({ name, op: '=~', value: union })] };
}

/** @param {string} pattern */
function compiles(pattern) {
  try {
    new RE2(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * Inserts `matchers` into every vector selector of `text`, then parses the result again and
 * checks that each selector carries them, so that a position mistake refuses instead of leaking.
 *
 * @param {string} text
 * @param {import('@lezer/common').Tree} tree
 * @param {string[]} matchers
 * @param {string} what
 * @returns {{ text: string } | { refused: string }}
 */
function rewrite(text, tree, matchers, what) {
  const joined = matchers.join(', ');
  /** @type {[number, string][]} */
  const inserts = [];
  let readsInfo = false;
  tree.iterate({
    enter(ref) {
      if (ref.name === 'FunctionIdentifier' && ref.node.firstChild?.name === 'Info') readsInfo = true;
      if (ref.name !== 'VectorSelector') return undefined;
      const labels = ref.node.getChild('LabelMatchers');
      const matcherNodes = labels === null ? [] : matcherNodesOf(labels);
      const last = matcherNodes.at(-1);
      if (labels === null) inserts.push([ref.node.getChild('Identifier')?.to ?? ref.to, `{${joined}}`]);
      else if (last === undefined) inserts.push([labels.from + 1, joined]);
      else inserts.push([last.to, `, ${joined}`]);
      return false;
    },
  });
  if (readsInfo) {
    return { refused: `${what} calls info(), which reads info series such as target_info that the label policy cannot restrict` };
  }
  let result = text;
  for (const [offset, insert] of inserts.sort((a, b) => b[0] - a[0])) {
    result = result.slice(0, offset) + insert + result.slice(offset);
  }
  if (!carriesEverywhere(result, matchers, inserts.length)) {
    return { refused: `${what} could not be restricted to the label policy safely` };
  }
  return { text: result };
}

/**
 * @param {string} text
 * @param {string[]} matchers
 * @param {number} expected number of vector selectors
 */
function carriesEverywhere(text, matchers, expected) {
  const tree = treeOf(text, 'rewritten');
  if ('invalid' in tree) return false;
  let count = 0;
  let missing = false;
  tree.tree.iterate({
    enter(ref) {
      if (ref.name !== 'VectorSelector') return undefined;
      count += 1;
      const labels = ref.node.getChild('LabelMatchers');
      const present = new Set(labels === null ? [] : matcherNodesOf(labels).map((node) => text.slice(node.from, node.to)));
      if (!matchers.every((matcher) => present.has(matcher))) missing = true;
      return false;
    },
  });
  return !missing && count === expected;
}

/**
 * The matchers of a policy selector such as `{env=~"dev|staging", team="a"}` or `up{job="x"}`
 * (its metric name is a `__name__` matcher), sorted; undefined if it is not one selector.
 *
 * @param {string} selector
 * @returns {Matcher[] | undefined}
 */
function matchersOfSelector(selector) {
  const tree = treeOf(selector, 'selector');
  if ('invalid' in tree) return undefined;
  const node = loneSelectorOf(tree.tree);
  if (node === null) return undefined;
  const text = (/** @type {{ from: number, to: number }} */ part) => selector.slice(part.from, part.to);
  /** @type {(Matcher | undefined)[]} */
  const matchers = [];
  const identifier = node.getChild('Identifier');
  if (identifier !== null) matchers.push({ name: '__name__', op: '=', value: text(identifier) });
  const labels = node.getChild('LabelMatchers');
  for (const child of labels === null ? [] : matcherNodesOf(labels)) {
    const name = child.firstChild;
    const op = child.getChild('MatchOp');
    const value = child.getChild('StringLiteral');
    if (child.name === 'QuotedLabelName' || name === null) {
      const metric = parseLiteral(text(child));
      matchers.push(metric === undefined ? undefined : { name: '__name__', op: '=', value: metric });
      continue;
    }
    const label = name.name === 'LabelName' ? text(name) : parseLiteral(text(name));
    const decoded = value === null || value.from <= name.from ? undefined : parseLiteral(text(value));
    if (label === undefined || op === null || decoded === undefined) return undefined;
    matchers.push({ name: label, op: text(op), value: decoded });
  }
  if (matchers.length === 0 || matchers.includes(undefined)) return undefined;
  const sorted = /** @type {Matcher[]} */ (matchers);
  return sorted.sort((a, b) => (matcherText(a) < matcherText(b) ? -1 : 1));
}

/** @param {Matcher} matcher */
function matcherText({ name, op, value }) {
  return `${UNQUOTED_NAME.test(name) ? name : promqlString(name)}${op}${promqlString(value)}`;
}

/** @param {Matcher[]} matchers */
function selectorText(matchers) {
  return `{${matchers.map(matcherText).join(', ')}}`;
}
