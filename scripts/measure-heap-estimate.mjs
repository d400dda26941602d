#!/usr/bin/env node
// Sets src/heap-size.ts's estimate beside what V8 really holds for claims of hostile shapes:
// each shape is parsed COPIES times (distinct strings, so nothing is shared), frozen like the
// cache freezes claims, and held; the heap growth after garbage collection is divided by COPIES.
// Usage: node --expose-gc scripts/measure-heap-estimate.mjs [COPIES]   (default 200)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const src = fileURLToPath(new URL('../src/base/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'heap-estimate-'));
// The library's own modules, bundled as they are (esbuild comes with tsup).
execFileSync('npx', ['esbuild', join(src, 'heap-size.ts'), join(src, 'deep-freeze.ts'), '--format=esm', `--outdir=${out}`, '--log-level=warning']);
const { estimateHeapBytes } = await import(join(out, 'heap-size.js'));
const { deepFreeze } = await import(join(out, 'deep-freeze.js'));
rmSync(out, { recursive: true });

const unique = () => Math.random().toString(36).slice(2);
const shapes = {
  'arrays nested 5,800 deep': () => `{"sub":"${unique()}","a":${'['.repeat(5800)}${']'.repeat(5800)}}`,
  'objects nested 2,000 deep': () => `${'{"a":'.repeat(2000)}"${unique()}"${'}'.repeat(2000)}`,
  'one object of 1,500 keys': () => JSON.stringify(Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}${unique().slice(0, 4)}`, i]))),
  '3,000 fractional numbers': () => JSON.stringify({ a: Array.from({ length: 3000 }, () => Math.random()) }),
  '2,000 distinct strings': () => JSON.stringify({ g: Array.from({ length: 2000 }, (_, i) => `g${i}${unique()}`) }),
  'one 12,000-character string': () => JSON.stringify({ s: 'x'.repeat(12000) + unique() }),
  '6,000 Σ (two-byte string)': () => JSON.stringify({ s: 'Σ'.repeat(6000) + unique() }),
  '3,000 empty objects': () => JSON.stringify({ a: Array.from({ length: 3000 }, () => ({})), s: unique() }),
  'a typical access token': () =>
    JSON.stringify({ iss: 'https://idp.example.com/realms/x', sub: `pref-123-${unique()}`, aud: ['a', 'b'], exp: 2e9, iat: 1.7e9, scope: 'openid metrics', realm_access: { roles: ['a', 'b', 'c'] } }),
};

const copies = Number(process.argv[2] ?? 200);
console.log('| claims | JSON bytes | heap measured | estimate | ratio |\n| --- | ---: | ---: | ---: | ---: |');
for (const [name, make] of Object.entries(shapes)) {
  // Flat strings: a rope built by concatenation would shrink when parsed and skew the figure.
  const texts = Array.from({ length: copies }, () => Buffer.from(make()).toString());
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const held = texts.map((text) => deepFreeze(JSON.parse(text)));
  globalThis.gc();
  globalThis.gc();
  const measured = (process.memoryUsage().heapUsed - before) / copies;
  const estimate = estimateHeapBytes(held[0]);
  const figure = (value) => Math.round(value).toLocaleString('en-US');
  console.log(`| ${name} | ${figure(texts[0].length)} | ${figure(measured)} | ${figure(estimate)} | ${(estimate / measured).toFixed(2)} |`);
  held.length = 0;
}
