import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// The gateway example's label enforcement (examples/gateway/label-enforcement.js): plain
// JavaScript, imported by URL and given the types it documents.

type QueryOutcome = { query: string } | { refused: string } | { invalid: string };
type MatchOutcome = { matches: string[] } | { refused: string } | { invalid: string };

interface LabelEnforcement {
  enforceSelectors(query: string, selectors: string[] | null): QueryOutcome;
  enforceMatchers(matches: string[], selectors: string[] | null): MatchOutcome;
  planFor(selectors: string[]): { matchers: string[] } | { refused: string };
}

const specifier = new URL('../../examples/gateway/label-enforcement.js', import.meta.url).href;
const { enforceSelectors, enforceMatchers, planFor } = (await import(specifier)) as LabelEnforcement;

const NS = ['{namespace="default"}'];
const N = 'namespace="default"';

describe('one selector: its matchers join every vector selector of the query', () => {
  it.each([
    ['a bare metric name', 'up', `up{${N}}`],
    ['empty braces', 'up{}', `up{${N}}`],
    ['existing matchers', 'up{job="api"}', `up{job="api", ${N}}`],
    ['a trailing comma', 'up{job="api",}', `up{job="api", ${N},}`],
    ['a selector without a metric name', '{__name__=~"http_.*"}', `{__name__=~"http_.*", ${N}}`],
    ['a quoted metric name', '{"my.metric"}', `{"my.metric", ${N}}`],
    ['a quoted label name', '{"my.metric", "a.b"="c"}', `{"my.metric", "a.b"="c", ${N}}`],
    ['a matcher on the same label (a conjunction, kept)', 'up{namespace="kube-system"}', `up{namespace="kube-system", ${N}}`],
    ['a negative matcher on the same label', 'up{namespace!="default"}', `up{namespace!="default", ${N}}`],
    ['a range selector', 'rate(x[5m])', `rate(x{${N}}[5m])`],
    ['an aggregation with by', 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))', `sum by (job) (rate(http_requests_total{code=~"5..", ${N}}[5m]))`],
    ['an aggregation with a trailing without', 'sum(up) without (instance)', `sum(up{${N}}) without (instance)`],
    ['topk with a nested aggregation', 'topk(5, sum without (instance) (up))', `topk(5, sum without (instance) (up{${N}}))`],
    ['count_values', 'count_values("version", build_info)', `count_values("version", build_info{${N}})`],
    ['quantile', 'quantile(0.9, x)', `quantile(0.9, x{${N}})`],
    ['histogram_quantile', 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', `histogram_quantile(0.99, sum by (le) (rate(h_bucket{${N}}[5m])))`],
    ['a subquery', 'max_over_time(rate(x[1m])[1h:5m])', `max_over_time(rate(x{${N}}[1m])[1h:5m])`],
    ['a subquery of a binary expression, default step', 'min_over_time((a + b)[30m:])', `min_over_time((a{${N}} + b{${N}})[30m:])`],
    ['offset', 'x offset 5m', `x{${N}} offset 5m`],
    ['a negative offset on a range', 'rate(x[5m] offset -1h)', `rate(x{${N}}[5m] offset -1h)`],
    ['@ with a timestamp', 'x @ 1609746000', `x{${N}} @ 1609746000`],
    ['@ start() with offset', 'rate(x{job="a"}[5m] @ start() offset 1m)', `rate(x{job="a", ${N}}[5m] @ start() offset 1m)`],
    ['@ end() on a subquery', 'avg_over_time(x[10m:1m] @ end())', `avg_over_time(x{${N}}[10m:1m] @ end())`],
    ['or', 'a or b', `a{${N}} or b{${N}}`],
    ['and', 'a and on(job) b', `a{${N}} and on(job) b{${N}}`],
    ['unless', 'a unless ignoring(instance) b', `a{${N}} unless ignoring(instance) b{${N}}`],
    ['group_left', 'a / on(job) group_left(version) b', `a{${N}} / on(job) group_left(version) b{${N}}`],
    ['a comparison with bool', 'a > bool 1', `a{${N}} > bool 1`],
    ['a unary minus and parentheses', '-(a)', `-(a{${N}})`],
    ['a metric named like an aggregation', 'sum', `sum{${N}}`],
    ['absent', 'absent(nonexistent{job="a"})', `absent(nonexistent{job="a", ${N}})`],
    ['label_replace (it relabels, it reads no other series)', 'label_replace(up, "namespace", "x", "", "")', `label_replace(up{${N}}, "namespace", "x", "", "")`],
    ['label_join', 'label_join(up, "foo", ",", "a", "b")', `label_join(up{${N}}, "foo", ",", "a", "b")`],
    ['a string that looks like a selector', 'label_replace(up, "d", "up{a=\\"b\\"}", "s", "(.*)")', `label_replace(up{${N}}, "d", "up{a=\\"b\\"}", "s", "(.*)")`],
    ['a trailing comment', 'up # not{a="b"}', `up{${N}} # not{a="b"}`],
    ['a comment after the last matcher', 'up{a="b" # why\n}', `up{a="b", ${N} # why\n}`],
    ['a comment in empty braces', 'up{ # why\n}', `up{${N} # why\n}`],
    ['several lines', 'sum(\n  rate(a[5m])\n)\n/\nsum(rate(b[5m]))', `sum(\n  rate(a{${N}}[5m])\n)\n/\nsum(rate(b{${N}}[5m]))`],
    ['no selector at all', '1 + 2', '1 + 2'],
    ['a string literal', '"text"', '"text"'],
    ['functions without selectors', 'vector(time())', 'vector(time())'],
  ])('%s', (_name, query, expected) => {
    expect(enforceSelectors(query, NS)).toEqual({ query: expected });
  });

  it('adds every matcher of a selector with several, in a stable order', () => {
    expect(enforceSelectors('rate(x[5m]) or y', ['{team="a", env=~"dev|staging"}'])).toEqual({
      query: 'rate(x{env=~"dev|staging", team="a"}[5m]) or y{env=~"dev|staging", team="a"}',
    });
  });

  it('turns a metric name in the policy selector into a __name__ matcher', () => {
    expect(enforceSelectors('x', ['up{job="a"}'])).toEqual({ query: 'x{__name__="up", job="a"}' });
  });

  it('writes policy values in one canonical form, whatever quotes they came in', () => {
    expect(enforceSelectors('x', ["{team='a\\'b', env=`raw\\n`, \"odd.name\"=\"\\u00e9\"}"])).toEqual({
      query: 'x{"odd.name"="é", env="raw\\\\n", team="a\'b"}',
    });
  });

  it('leaves the query of an unrestricted tenant (null) untouched, even one that does not parse', () => {
    expect(enforceSelectors('up{a="b', null)).toEqual({ query: 'up{a="b' });
    expect(enforceSelectors('info(up)', null)).toEqual({ query: 'info(up)' });
  });

  it('refuses info(), which reads info series the policy does not restrict', () => {
    expect(enforceSelectors('info(rate(x[5m]))', NS)).toEqual({
      refused: 'the query calls info(), which reads info series such as target_info that the label policy cannot restrict',
    });
  });
});

/** A query and what it must become, built side by side from PromQL pieces. */
type Pair = [string, string];

const selector: fc.Arbitrary<Pair> = fc
  .tuple(fc.constantFrom('up', 'x', 'http_requests_total', 'a:b:rate5m'), fc.constantFrom('', '{}', '{job="a"}', '{job=~"a|b", le!="1"}'))
  .map(([name, braces]): Pair => {
    const inside = braces.slice(1, -1);
    return [`${name}${braces}`, `${name}{${inside === '' ? N : `${inside}, ${N}`}}`];
  });

const modified: fc.Arbitrary<Pair> = fc
  .tuple(selector, fc.constantFrom('', ' offset 5m', ' @ start()', ' @ 1609746000 offset -1m'))
  .map(([[query, expected], modifier]): Pair => [`${query}${modifier}`, `${expected}${modifier}`]);

const { expression } = fc.letrec<{ expression: Pair }>((tie) => {
  const inner = tie('expression');
  const wrap = (make: (text: string) => string) => inner.map(([query, expected]): Pair => [make(query), make(expected)]);
  const join = (operator: string) =>
    fc.tuple(inner, inner).map(([[a, b], [c, d]]): Pair => [`${a} ${operator} ${c}`, `${b} ${operator} ${d}`]);
  return {
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      modified,
      selector.map(([query, expected]): Pair => [`rate(${query}[5m])`, `rate(${expected}[5m])`]),
      wrap((text) => `sum by (job) (${text})`),
      wrap((text) => `topk(3, ${text})`),
      wrap((text) => `(${text})`),
      wrap((text) => `max_over_time((${text})[1h:5m])`),
      wrap((text) => `label_replace(${text}, "dst", "$1", "src", "(.*)")`),
      join('or'),
      join('and'),
      join('unless'),
      join('/ on(job) group_left(version)'),
      join('>= bool'),
    ),
  };
});

describe('every generated query: each vector selector, and only those, gains the matchers', () => {
  it('rewrites to exactly the expected text', () => {
    fc.assert(
      fc.property(expression, ([query, expected]) => {
        expect(enforceSelectors(query, NS)).toEqual({ query: expected });
      }),
      { numRuns: 300 },
    );
  });
});

describe('queries that do not parse are invalid, with the position', () => {
  it.each([
    ['an unterminated string', 'up{a="b', 'line 1, column 6 (offset 5)'],
    ['a string ending in an escaped quote', 'up{a="b\\"}', 'line 1, column 6 (offset 5)'],
    ['a dangling operator', 'up +', 'line 1, column 5 (offset 4)'],
    ['an unclosed call', 'sum(rate(x[5m])', 'line 1, column 16 (offset 15)'],
    ['a keyword alone', 'bool', 'line 1, column 1 (offset 0)'],
    ['an error on a later line', 'sum(\n  rate(x[5m]\n)', 'line 3, column 2 (offset 19)'],
  ])('%s', (_name, query, position) => {
    expect(enforceSelectors(query, NS)).toEqual({ invalid: `the query does not parse: unexpected input at ${position}` });
  });

  it('says so for an empty query', () => {
    expect(enforceSelectors('  ', NS)).toEqual({ invalid: 'the query is empty' });
  });
});

describe('several selectors: a regex union on one label, or a refusal', () => {
  it('joins equality and regex matchers on one label into one regex union', () => {
    expect(enforceSelectors('up', ['{team="a"}', '{team="b"}', '{team=~"c.*"}'])).toEqual({ query: 'up{team=~"a|b|c.*"}' });
  });

  it('quotes the metacharacters of equality values (RE2 QuoteMeta)', () => {
    expect(planFor(['{team="a.b"}', '{team="c+d(e)"}', '{team="$^[]{}|?*\\\\"}'])).toEqual({
      matchers: ['team=~"a\\\\.b|c\\\\+d\\\\(e\\\\)|\\\\$\\\\^\\\\[\\\\]\\\\{\\\\}\\\\|\\\\?\\\\*\\\\\\\\"'],
    });
  });

  it('keeps alternations and flags of a regex inside their own group', () => {
    expect(planFor(['{team=~"a|b"}', '{team=~"(?i)c"}', '{team=""}'])).toEqual({ matchers: ['team=~"(?:a|b)|(?:(?i)c)|"'] });
  });

  it('counts equal selectors once, whatever their spelling', () => {
    expect(enforceSelectors('up', ['{team="a"}', "{ team = 'a' }", '{team="a",}'])).toEqual({ query: 'up{team="a"}' });
    expect(planFor(['{a="1", b="2"}', '{b="2",a="1"}'])).toEqual({ matchers: ['a="1"', 'b="2"'] });
  });

  it('refuses selectors on different labels', () => {
    expect(enforceSelectors('up', ['{team="a"}', '{env="dev"}'])).toEqual({
      refused: 'the label selectors {team="a"}, {env="dev"} cannot be enforced as one query: they constrain different labels (team, env)',
    });
  });

  it.each([
    ['!=', '{team!="b"}'],
    ['!~', '{team!~"b.*"}'],
  ])('refuses a negative matcher (%s) among several selectors', (op, negative) => {
    expect(planFor(['{team="a"}', negative])).toEqual({
      refused: `the label selectors {team="a"}, ${negative} cannot be enforced as one query: ${negative} uses the negative matcher ${op}, and a union of negations would widen the result`,
    });
  });

  it('refuses a selector of several matchers among several selectors', () => {
    expect(planFor(['{team="a", env="x"}', '{team="b"}'])).toEqual({
      refused: 'the label selectors {env="x", team="a"}, {team="b"} cannot be enforced as one query: {env="x", team="a"} has 2 matchers, and only selectors of one matcher each can be joined',
    });
  });

  it('refuses a regex that does not compile alone, which could otherwise close a neighbour group', () => {
    expect(planFor(['{team=~"a)|(.*"}', '{team="b"}'])).toEqual({
      refused: 'the label selectors {team=~"a)|(.*"}, {team="b"} cannot be enforced as one query: the regex "a)|(.*" does not compile',
    });
  });

  it('refuses when no selector covers the tenant ([] matches nothing)', () => {
    expect(enforceSelectors('up', [])).toEqual({ refused: 'no label selector of the access policy covers this tenant' });
  });

  it.each([
    ['an expression', 'sum(up)'],
    ['two selectors', 'a or b'],
    ['empty braces', '{}'],
    ['an invalid escape', '{team="\\q"}'],
    ['bytes that are not UTF-8', '{team="\\xff"}'],
    ['an escaped quote of the other kind', '{team="\\\'"}'],
    ['a surrogate code point', '{team="\\ud800"}'],
  ])('refuses a policy selector that is %s', (_name, selector) => {
    expect(enforceSelectors('up', [selector])).toEqual({
      refused: 'a label selector of the access policy cannot be read as a PromQL series selector',
    });
  });
});

describe('match[] of series, labels and label values', () => {
  it('rewrites each match[]', () => {
    expect(enforceMatchers(['up', '{job="api"}', 'x{namespace="kube-system"}'], NS)).toEqual({
      matches: [`up{${N}}`, `{job="api", ${N}}`, `x{namespace="kube-system", ${N}}`],
    });
  });

  it('gives the tenant its own selector when there is no match[]', () => {
    expect(enforceMatchers([], ['{team="a", env="dev"}'])).toEqual({ matches: ['{env="dev", team="a"}'] });
    expect(enforceMatchers([], ['{team="a"}', '{team=~"b.*"}'])).toEqual({ matches: ['{team=~"a|b.*"}'] });
  });

  it('keeps match[] of an unrestricted tenant, even none', () => {
    expect(enforceMatchers([], null)).toEqual({ matches: [] });
    expect(enforceMatchers(['sum(up)'], null)).toEqual({ matches: ['sum(up)'] });
  });

  it('refuses a match[] that is an expression rather than a series selector', () => {
    expect(enforceMatchers(['up', 'rate(x[5m])'], NS)).toEqual({
      invalid: 'match[] must be a series selector such as up{job="api"}, not an expression',
    });
  });

  it('reports a match[] that does not parse with its position', () => {
    expect(enforceMatchers(['up{job=}'], NS)).toEqual({ invalid: 'match[] does not parse: unexpected input at line 1, column 8 (offset 7)' });
  });

  it('refuses what several selectors cannot express, even without match[]', () => {
    expect(enforceMatchers([], ['{team="a"}', '{env="dev"}'])).toEqual({
      refused: 'the label selectors {team="a"}, {env="dev"} cannot be enforced as one query: they constrain different labels (team, env)',
    });
  });
});
