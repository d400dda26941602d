// Importing the core (`tenantgate`) never loads a web framework: express, koa, fastify,
// fastify-plugin, hono and @nestjs/* are optional peers needed only by their adapters.
// The dist/ checks run against the build made by `npm test`'s pretest step.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Packages the core must not import: the frameworks, their plugin helpers and aliases. */
function isFramework(specifier: string): boolean {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
  return (
    /^(?:express|koa|fastify|hono)\d*$/.test(name) ||
    name === 'fastify-plugin' ||
    /^@(?:fastify|koa|hono|nestjs)\//.test(name) ||
    /^@types\/(?:express|koa|fastify)/.test(name)
  );
}

// `from 'x'`, `import 'x'`, `import('x')`, `require('x')`, `import x = require('x')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;

interface Graph {
  /** Files reached, relative to the repository root. */
  files: string[];
  /** Every non-relative specifier imported by one of them. */
  packages: string[];
}

/**
 * Follows the relative imports of `entry` (statically, as text) and collects every
 * package specifier met on the way. `mapPath` turns a relative specifier into a file.
 */
function importGraph(entry: string, mapPath: (path: string) => string = (path) => path): Graph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [resolve(root, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[2] ?? '';
      if (specifier.startsWith('.')) {
        const target = mapPath(resolve(dirname(file), specifier));
        expect(existsSync(target), `${relative(root, file)} imports ${specifier}, which does not exist`).toBe(true);
        pending.push(target);
      } else if (!specifier.startsWith('node:')) {
        packages.add(specifier);
      }
    }
  }
  return { files: [...files].map((file) => relative(root, file)).sort(), packages: [...packages].sort() };
}

function requireBuild(): void {
  expect(existsSync(resolve(root, 'dist/index.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
}

describe('the core entry point loads no framework', () => {
  it('recognises framework specifiers, and only those', () => {
    const frameworks = ['express', 'express4', 'express/lib/router', 'koa', 'koa2', 'fastify', 'fastify4', 'fastify-plugin', '@fastify/http-proxy', '@types/express'];
    expect(frameworks.filter((specifier) => !isFramework(specifier))).toEqual([]);
    expect(['jose', 're2', 'lru-cache', 'zod', 'expression', 'koala', '@types/node'].filter(isFramework)).toEqual([]);
  });

  it('src/index.ts and everything it imports name no framework', () => {
    const graph = importGraph('src/index.ts', (path) => path.replace(/\.js$/, '.ts'));
    // The walk really followed the imports: the verifier and its jose dependency are reached.
    expect(graph.files).toContain('src/authenticator/authenticator.ts');
    expect(graph.files).toContain('src/token/verify.ts');
    expect(graph.packages).toContain('jose');
    expect(graph.files.filter((file) => file.startsWith('src/adapters/'))).toEqual([]);
    expect(graph.packages.filter(isFramework)).toEqual([]);
  });

  it.each([
    ['dist/index.js (ESM)', 'dist/index.js'],
    ['dist/index.cjs (CommonJS)', 'dist/index.cjs'],
    ['dist/index.d.ts (ESM types)', 'dist/index.d.ts'],
    ['dist/index.d.cts (CommonJS types)', 'dist/index.d.cts'],
  ])('%s and every chunk it imports name no framework', (_label, entry) => {
    requireBuild();
    const declarations = entry.includes('.d.');
    // Declarations import `./x.js` / `./x.cjs` meaning `./x.d.ts` / `./x.d.cts`.
    const graph = declarations
      ? importGraph(entry, (path) => path.replace(/\.js$/, '.d.ts').replace(/\.cjs$/, '.d.cts'))
      : importGraph(entry);
    expect(graph.files.length).toBeGreaterThan(1);
    if (declarations) {
      // The public types declare their JOSE shapes themselves (jose is ESM-only, which
      // CommonJS TypeScript projects could not import), so they import no package at all.
      expect(graph.packages).toEqual([]);
    } else {
      // Code-split chunks were followed, and they import the runtime dependencies (jose no
      // longer among them: signatures are verified with node:crypto since 0.2; re2 neither:
      // src/base/regex-engine.ts loads it when the first regex is compiled).
      expect(graph.files.some((file) => /chunk-/.test(file))).toBe(true);
      expect(graph.packages).toEqual(expect.arrayContaining(['zod']));
    }
    expect(graph.packages.filter(isFramework)).toEqual([]);
  });

  it('the adapter chunks are the ones that import framework code (the check can see it)', () => {
    requireBuild();
    expect(importGraph('dist/adapters/fastify.js').packages).toContain('fastify-plugin');
    expect(importGraph('dist/adapters/fastify.cjs').packages).toContain('fastify-plugin');
  });

  /** Module files Node has loaded through its CommonJS loader, by package name. */
  function loadedPackages(script: string, type: 'module' | 'commonjs'): string[] {
    const output = execFileSync(process.execPath, [`--input-type=${type}`, '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    const paths = JSON.parse(output) as string[];
    const names = paths.flatMap((path) => {
      const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(path);
      return match?.[1] === undefined ? [] : [match[1].replace(/\\/g, '/')];
    });
    return [...new Set(names)].sort();
  }

  // Every framework is CommonJS, so loading one (even from ESM) puts it in require.cache.
  const esmProbe = (imports: string[]): string =>
    [
      "import { createRequire } from 'node:module';",
      ...imports.map((path) => `await import(${JSON.stringify(path)});`),
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));',
    ].join('\n');

  it('importing dist/index.js in a fresh Node process loads no framework', () => {
    requireBuild();
    const loaded = loadedPackages(esmProbe(['./dist/index.js']), 'module');
    expect(loaded.filter(isFramework)).toEqual([]);
    // The probe does see packages loaded this way: the fastify adapter loads fastify-plugin.
    expect(loadedPackages(esmProbe(['./dist/index.js', './dist/adapters/fastify.js']), 'module')).toContain(
      'fastify-plugin',
    );
  });

  it('requiring dist/index.cjs in a fresh Node process loads no framework', () => {
    requireBuild();
    const loaded = loadedPackages(
      "require('./dist/index.cjs'); console.log(JSON.stringify(Object.keys(require.cache)));",
      'commonjs',
    );
    expect(loaded).toEqual(expect.arrayContaining(['zod']));
    // No RE2 engine until an authenticator compiles a regex: a missing re2 binary cannot
    // break the import.
    expect(loaded).not.toContain('re2');
    expect(loaded.filter(isFramework)).toEqual([]);
  });
});
