#!/usr/bin/env node
// Runs the chaos scenarios of stress/scenarios/, each in its own `node --expose-gc` process,
// one after the other (timings and heap figures are only meaningful on a quiet machine).
//
//   node stress/run.js [--short | --long] [--verbose] [scenario ...]
//
// Prints each scenario's figures and bounds as a table and ends with
// `stress: N passed, M failed`; exits 1 when any bound broke.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { LEAK_PREFIX, RESULT_PREFIX } from './lib/scenario.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const scenarioDir = `${here}scenarios/`;
/** The order scenarios run in; any other file in scenarios/ runs after these. */
const ORDER = [
  'hostile-issuer',
  'hostile-issuer-concurrent',
  'hostile-issuer-default-timeout',
  'header-fuzz',
  'kid-flood',
  'token-flood',
  'opaque-flood',
  'outage',
  'rotation',
];
/** A scenario process still running this long after it started is killed (it has its own, shorter, watchdog). */
const KILL_AFTER_MS = { short: 170_000, long: 900_000 };

const args = process.argv.slice(2);
const mode = args.includes('--long') ? 'long' : 'short';
const verbose = args.includes('--verbose');
const unknownFlags = args.filter((arg) => arg.startsWith('--') && !['--long', '--short', '--verbose'].includes(arg));
const available = readdirSync(scenarioDir)
  .filter((file) => file.endsWith('.js'))
  .map((file) => file.slice(0, -3))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const named = args.filter((arg) => !arg.startsWith('--'));
const unknown = named.filter((name) => !available.includes(name));
if (unknownFlags.length > 0 || unknown.length > 0) {
  process.stderr.write(
    `stress: unknown ${[...unknownFlags, ...unknown].join(', ')}\n` +
      `usage: node stress/run.js [--short|--long] [--verbose] [${available.join('|')} ...]\n`,
  );
  process.exit(2);
}
const selected = named.length > 0 ? available.filter((name) => named.includes(name)) : available;

function rank(name) {
  const index = ORDER.indexOf(name);
  return index === -1 ? ORDER.length : index;
}

const distDir = new URL('../dist/', import.meta.url);
const distReady = () =>
  process.env.STRESS_DIST !== undefined ||
  (existsSync(new URL('index.js', distDir)) && existsSync(new URL('testing.js', distDir)));

/** Waits (up to 2 minutes) for dist/ to be back: another build may be cleaning it right now. */
async function waitForDist() {
  for (let waited = 0; waited < 120_000 && !distReady(); waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return distReady();
}

function runOnce(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', `${scenarioDir}${name}.js`, `--${mode}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let result;
    let leak;
    let stderr = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
      else if (line.startsWith(LEAK_PREFIX)) leak = JSON.parse(line.slice(LEAK_PREFIX.length));
      else process.stdout.write(`  [${name}] ${line}\n`);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr += `${line}\n`;
      process.stdout.write(`  [${name}] ${line}\n`);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS[mode]);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ name, code, signal, result, leak, stderr, wallMs: Date.now() - started });
    });
  });
}

async function runScenario(name) {
  if (!(await waitForDist())) return { name, code: 2, stderr: 'dist/ is missing: run npm run build', wallMs: 0 };
  let run = await runOnce(name);
  const distVanished = run.result === undefined && /ERR_MODULE_NOT_FOUND|has no index\.js/.test(run.stderr);
  if (distVanished && (await waitForDist())) {
    process.stdout.write(`  [${name}] dist/ changed under the run (a rebuild?); running the scenario again\n`);
    run = await runOnce(name);
  }
  return run;
}

/** The checks of a run, including the ones the runner itself adds. */
function checksOf(run) {
  const checks = [...(run.result?.checks ?? [])];
  if (run.result === undefined) {
    const why = run.signal ? `killed (${run.signal}) after ${Math.round(run.wallMs / 1000)} s` : `exit code ${run.code}`;
    checks.push({ label: 'scenario reported a result', ok: false, detail: `${why}; ${lastLine(run.stderr)}` });
  }
  if (run.leak !== undefined) {
    checks.push({ label: 'exits by itself once closed (no timer or socket left)', ok: false, detail: `still open: ${run.leak.join(', ') || 'unknown'}` });
  } else if (run.result !== undefined && run.code !== 0 && (run.result.checks ?? []).every((check) => check.ok)) {
    checks.push({ label: 'process exit code 0', ok: false, detail: `exit code ${run.code}` });
  }
  return checks;
}

function lastLine(text) {
  return text.trim().split('\n').at(-1) ?? '';
}

function table(rows, indent = '  ') {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows
    .map((row) => indent + row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ').trimEnd())
    .join('\n');
}

function printRun(run) {
  const checks = checksOf(run);
  const failed = checks.filter((check) => !check.ok);
  const seconds = ((run.result?.durationMs ?? run.wallMs) / 1000).toFixed(1);
  process.stdout.write(`\n${failed.length === 0 ? 'PASS' : 'FAIL'}  ${run.name} (${mode}, ${seconds} s)\n`);
  const figures = run.result?.figures ?? [];
  if (figures.length > 0) process.stdout.write(`${table([['figure', 'value'], ...figures])}\n`);
  const shown = verbose ? checks : failed;
  if (shown.length > 0) {
    process.stdout.write(`${table([['bound', 'result', 'detail'], ...shown.map((check) => [check.label, check.ok ? 'ok' : 'BROKEN', check.detail])])}\n`);
  }
  process.stdout.write(`  ${checks.length - failed.length} of ${checks.length} bounds held\n`);
  return failed.length === 0;
}

const summary = [];
for (const name of selected) {
  process.stdout.write(`\n--- ${name} (${mode})\n`);
  const run = await runScenario(name);
  const passed = printRun(run);
  const checks = checksOf(run);
  summary.push([
    name,
    passed ? 'pass' : 'FAIL',
    `${((run.result?.durationMs ?? run.wallMs) / 1000).toFixed(1)} s`,
    `${checks.filter((check) => check.ok).length}/${checks.length}`,
  ]);
}
const failedCount = summary.filter((row) => row[1] !== 'pass').length;
process.stdout.write(`\n${table([['scenario', 'result', 'time', 'bounds held'], ...summary], '')}\n\n`);
process.stdout.write(`stress: ${summary.length - failedCount} passed, ${failedCount} failed\n`);
process.exitCode = failedCount === 0 ? 0 : 1;
