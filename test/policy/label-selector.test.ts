// Label selectors are PromQL vector selectors, parsed with @prometheus-io/lezer-promql and
// written in one normal form (the form `selectorsFor` hands out).
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabelSelector, promqlParser } from '../../src/policy/label-selector.js';
import { readPromqlString } from '../../src/policy/promql-string.js';

describe('parseLabelSelector', () => {
  it.each([
    ['{namespace="default"}', '{namespace="default"}'],
    ['{__name__=~"up|node_.*", secret!="true"}', '{__name__=~"up|node_.*", secret!="true"}'],
    ['  { namespace = "default" , team !~ "a.*" , }  ', '{namespace="default", team!~"a.*"}'],
    ['up{job="api"}', '{__name__="up", job="api"}'],
    ['up', '{__name__="up"}'],
    ['{job="api", "metric.name"}', '{__name__="metric.name", job="api"}'],
    ['{"service.name"="checkout"}', '{"service.name"="checkout"}'],
    ["{env='prod'}", '{env="prod"}'],
    ['{path=`C:\\temp`}', '{path="C:\\\\temp"}'],
    ['{a="say \\"hi\\"\\n"}', '{a="say \\"hi\\"\\n"}'],
    ['{a="\\u00e9\\x41\\101"}', '{a="éAA"}'],
    ['{a="\\xc3\\xa9"}', '{a="é"}'],
    ['{a="\\u0007"}', '{a="\\x07"}'],
  ])('%s is written %s', (source, normal) => {
    expect(parseLabelSelector(source)).toEqual({ selector: normal });
  });

  it('is idempotent on its own output', () => {
    for (const source of ['{a="x\\ty", "b.c"=~"d"}', 'up{job="a"}']) {
      const first = parseLabelSelector(source);
      expect(first).toHaveProperty('selector');
      expect(parseLabelSelector((first as { selector: string }).selector)).toEqual(first);
    }
  });

  it.each([
    ['{namespace=}', 'is not a PromQL vector selector: "{namespace=}" does not parse (unexpected input at character 12)'],
    ['{namespace="default"', 'is not a PromQL vector selector: "{namespace=\\"default\\"" does not parse (it ends too early)'],
    ['rate(x[5m])', 'must be a PromQL vector selector such as \'{env="prod"}\': "rate(x[5m])" is a function call'],
    ['x{a="b"}[5m]', 'must be a PromQL vector selector such as \'{env="prod"}\': "x{a=\\"b\\"}[5m]" is a range selector'],
    ['up offset 5m', 'must be a PromQL vector selector such as \'{env="prod"}\': "up offset 5m" is a selector with an offset'],
    ['sum(up)', 'must be a PromQL vector selector such as \'{env="prod"}\': "sum(up)" is an aggregation'],
    ['{a="b"} or {c="d"}', 'must be a PromQL vector selector such as \'{env="prod"}\': "{a=\\"b\\"} or {c=\\"d\\"}" is a binary expression'],
    ['{a="b"} # note', 'must be a PromQL vector selector such as \'{env="prod"}\': "{a=\\"b\\"} # note" is a comment'],
    ['{}', 'is not a valid vector selector: "{}" has no matcher'],
    ['up{"x"}', 'is not a valid vector selector: "up{\\"x\\"}" names the metric twice'],
    ['{a="\\q"}', 'is not a valid vector selector: "{a=\\"\\\\q\\"}" has an invalid escape \\q'],
    ['{a="\\xff"}', 'is not a valid vector selector: "{a=\\"\\\\xff\\"}" has a string that is not valid UTF-8'],
  ])('%s is refused', (source, problem) => {
    expect(parseLabelSelector(source)).toEqual({ problem });
  });
});

describe('readPromqlString', () => {
  it('refuses escapes Go refuses', () => {
    expect(readPromqlString('"\\\'"')).toEqual({ problem: "has an invalid escape \\'" });
    expect(readPromqlString("'\\\"'")).toEqual({ problem: 'has an invalid escape \\"' });
    expect(readPromqlString('"\\ud800"')).toEqual({ problem: 'has an invalid escape \\ud800' });
    expect(readPromqlString('"\\400"')).toEqual({ problem: 'has an invalid escape \\400' });
    expect(readPromqlString('"\\U0001F600"')).toEqual({ value: '😀' });
  });
});

describe('the optional package', () => {
  it('is named, with how to install it, when it cannot be found', () => {
    // A real resolution from a folder with no node_modules above it.
    const elsewhere = createRequire(join(mkdtempSync(join(tmpdir(), 'tenantgate-no-peer-')), 'x.js'));
    expect(() => promqlParser(elsewhere)).toThrow(
      'Checking label selectors needs the optional package @prometheus-io/lezer-promql: install it (npm install @prometheus-io/lezer-promql)',
    );
  });
});
