#!/usr/bin/env node
// Checks the shape of src/ against DESIGN.md's layout: data flows one way
// (base -> credentials -> issuer -> token -> policy -> options -> authenticator ->
// adapters -> testing -> cli, entry points on top), no import cycle, no file over 300 lines.
// Usage: node scripts/check-layout.mjs [--graph]. Exit 1 on any finding.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const ORDER = ['base', 'credentials', 'issuer', 'token', 'policy', 'options', 'authenticator', 'adapters', 'testing', 'cli', '.'];
const MAX_LINES = 300;

function filesUnder(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The stage of a file: its first folder under src/, or '.' for the entry points. */
function stageOf(file) {
  const parts = relative(root, file).split('/');
  return parts.length === 1 ? '.' : parts[0];
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith('.')) continue;
    targets.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
  return { targets, lines: text.split('\n').length };
}

const files = filesUnder(root);
const graph = new Map();
const findings = [];
for (const file of files) {
  const { targets, lines } = importsOf(file);
  graph.set(file, targets);
  const name = relative(root, file);
  if (lines > MAX_LINES) findings.push(`${name}: ${lines} lines (over ${MAX_LINES})`);
  const stage = stageOf(file);
  if (!ORDER.includes(stage)) findings.push(`${name}: folder "${stage}" is not a stage of the layout`);
  for (const target of targets) {
    const to = relative(root, target);
    if (!files.includes(target)) {
      findings.push(`${name}: imports ${to}, which does not exist`);
    } else if (ORDER.indexOf(stageOf(target)) > ORDER.indexOf(stage)) {
      findings.push(`${name}: imports ${to} from a later stage (${stageOf(target)} comes after ${stage})`);
    }
  }
}

// Cycles, by depth-first search over the file graph.
const state = new Map();
const stack = [];
function visit(file) {
  state.set(file, 'open');
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (state.get(target) === 'open') {
      const cycle = stack.slice(stack.indexOf(target)).concat(target).map((path) => relative(root, path));
      findings.push(`import cycle: ${cycle.join(' -> ')}`);
    } else if (!state.has(target) && graph.has(target)) {
      visit(target);
    }
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

if (process.argv.includes('--graph')) {
  for (const [file, targets] of graph) {
    console.log(`${relative(root, file)} -> ${targets.map((target) => relative(root, target)).join(', ') || '(nothing)'}`);
  }
}
if (findings.length === 0) {
  console.log(`layout: ${files.length} files in ${new Set(files.map(stageOf)).size} stages, no upward import, no cycle`);
} else {
  for (const finding of findings) console.error(`layout: ${finding}`);
  process.exitCode = 1;
}
