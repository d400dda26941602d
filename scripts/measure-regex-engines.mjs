#!/usr/bin/env node
// Measures the RE2 engines tenantgate could run accessPolicyRegex on, to choose the fallback
// for runtimes where the native re2 addon cannot load: re2 (native), re2js (pure JavaScript,
// a port of Go's regexp through RE2/J) and re2-wasm (Google's RE2 compiled to WebAssembly).
// Each engine runs in a child process of its own, so that one's load, heap or crash cannot
// touch another's figures. Per engine:
//   load      ms to require the package, in a fresh process (median of LOADS runs)
//   compile   µs per compile of each policy-like regex (median of rounds)
//   match     exec calls per second on claim values of the shape tokens carry
//   capacity  compiles of a (?i) \p{L} regex before the process fails (capped at CAP)
// Usage: node scripts/measure-regex-engines.mjs [--quick]   (prints a Markdown table)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENGINES = ['re2', 're2js', 're2-wasm'];
const QUICK = process.argv.includes('--quick');
const LOADS = QUICK ? 3 : 7;
const CAP = 20_000;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Regexes as operators write them (GEM's docs, IdP recipes), and values tokens carry. */
const WORKLOAD = [
  ['pref-([0-9]+)-.*', ['pref-1234567890-abc', 'xx-pref-42-team', 'no-match-here']],
  ['(?i)^team-([a-z0-9-]+)$', ['Team-Metrics-Write', 'team-logs', 'group-x']],
  ['^([^@]+)@example\\.com$', ['alice@example.com', 'bob@example.org', 'ci-bot@example.com']],
  ['grafana-(.*)-(?:read|write)', ['grafana-tenant1-read', 'grafana-a-b-write', 'grafana']],
  ['(?i)(\\p{L}+)', ['Ünïcödé-Σίσυφος', '1234', 'İstanbul']],
];

/** The body each child runs: prints one JSON line of figures. */
function child(engine, task) {
  return `
const { createRequire } = require('node:module');
const load = createRequire(${JSON.stringify(`${root}/package.json`)});
const engine = ${JSON.stringify(engine)};
const task = ${JSON.stringify(task)};
const started = performance.now();
const mod = load(engine);
const loadMs = performance.now() - started;
const compile = engine === 're2js' ? (p) => mod.RE2JS.compile(p) : engine === 're2' ? (p) => new mod(p, 'u') : (p) => new mod.RE2(p, 'u');
const workload = ${JSON.stringify(WORKLOAD)};
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
if (task === 'load') { console.log(JSON.stringify({ loadMs })); process.exit(0); }
if (task === 'capacity') {
  let count = 0;
  try { for (; count < ${CAP}; count += 1) compile('(?i)pref-(\\\\p{L}+)-' + count); } catch {}
  console.log(JSON.stringify({ capacity: count }));
  process.exit(0);
}
// A leaking engine gets few compiles, or it would fail before the match figures.
const rounds = engine === 're2-wasm' ? 20 : ${QUICK ? 50 : 300};
const compileUs = {};
const matchPerSecond = {};
for (const [pattern, values] of workload) {
  const times = [];
  for (let round = 0; round < rounds; round += 1) {
    const t = performance.now();
    compile(pattern);
    times.push((performance.now() - t) * 1000);
  }
  compileUs[pattern] = median(times);
  const regex = compile(pattern);
  const window = ${QUICK ? 150 : 600};
  let calls = 0;
  const end = performance.now() + window;
  while (performance.now() < end) {
    for (const value of values) regex.exec(value);
    calls += values.length;
  }
  matchPerSecond[pattern] = Math.round(calls / (window / 1000));
}
console.log(JSON.stringify({ compileUs, matchPerSecond }));
`;
}

function run(engine, task) {
  try {
    const output = execFileSync(process.execPath, ['-e', child(engine, task)], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(output.toString().trim().split('\n').pop());
  } catch (error) {
    return { failed: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const engine of ENGINES) {
  const loads = Array.from({ length: LOADS }, () => run(engine, 'load').loadMs).filter((ms) => typeof ms === 'number');
  const figures = run(engine, 'figures');
  const { capacity } = run(engine, 'capacity');
  rows.push({ engine, loadMs: median(loads), ...figures, capacity });
}

const fixed = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : 'n/a');
console.log(`Node ${process.version}, ${process.platform}/${process.arch}${QUICK ? ', --quick' : ''}\n`);
console.log('| engine | load (ms) | compiles before failing | ' + WORKLOAD.map(([pattern]) => `\`${pattern}\` compile µs / exec per s`).join(' | ') + ' |');
console.log('|---|---|---|' + WORKLOAD.map(() => '---').join('|') + '|');
for (const row of rows) {
  const cells = WORKLOAD.map(([pattern]) =>
    row.failed === undefined ? `${fixed(row.compileUs?.[pattern])} / ${(row.matchPerSecond?.[pattern] ?? 0).toLocaleString('en')}` : 'failed',
  );
  const capacity = row.capacity >= CAP ? `${CAP.toLocaleString('en')}+` : String(row.capacity ?? 'n/a');
  console.log(`| ${row.engine} | ${fixed(row.loadMs)} | ${capacity} | ${cells.join(' | ')} |`);
}
