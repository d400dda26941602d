#!/usr/bin/env node
// Where a first-seen token's time goes: crypto.verify alone, fast-jwt without its cache, and
// tenantgate's path built up stage by stage (verifyToken, the shape check and cache entry, the
// token cache, the whole authenticate), each on distinct tokens, 10,000 per stage and round,
// with the caches emptied every round (scripts/cold-stages/stages.ts, bundled here with esbuild,
// which comes with tsup). fast-jwt comes from bench/ (cd bench && npm ci).
// Usage: node --expose-gc scripts/measure-cold-stages.mjs [RS256|ES256]   (about a minute)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(root, 'node_modules', '.cold-stages-'));
const entry = join(root, 'scripts', 'cold-stages', 'stages.ts');
execFileSync('npx', ['esbuild', entry, '--bundle', '--platform=node', '--format=esm', `--outfile=${join(out, 'stages.mjs')}`,
  '--packages=external', '--log-level=warning'], { cwd: root, stdio: 'inherit' });
process.env.ALG = process.argv[2] ?? process.env.ALG ?? 'RS256';
process.env.FAST_JWT ??= createRequire(join(root, 'bench', 'package.json')).resolve('fast-jwt');
try {
  await import(join(out, 'stages.mjs'));
} finally {
  rmSync(out, { recursive: true, force: true });
}
