import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, { import: { default: string }; require: { default: string } } | string>;
};
const entries = Object.entries(manifest.exports).filter(
  (entry): entry is [string, { import: { default: string }; require: { default: string } }] => typeof entry[1] !== 'string',
);

// These run against dist/, built by `npm test`'s pretest step.
describe('built package', () => {
  it('exports the entry points of the contract', () => {
    expect(entries.map(([name]) => name).sort()).toEqual(
      ['.', './express', './fastify', './fetch', './hono', './koa', './nest', './policies', './prometheus', './testing'].sort(),
    );
  });

  it.each(entries)('%s loads as ESM and as CommonJS with the same exports', async (_name, target) => {
    const esm = (await import(new URL(`../${target.import.default}`, import.meta.url).href)) as Record<string, unknown>;
    const cjs = require(`../${target.require.default}`) as Record<string, unknown>;
    const named = (module: Record<string, unknown>) => Object.keys(module).filter((key) => key !== 'default').sort();
    expect(named(cjs)).toEqual(named(esm));
    expect('default' in cjs).toBe('default' in esm);
  });

  it('exposes the core API from both builds', async () => {
    const esm = (await import(new URL('../dist/index.js', import.meta.url).href)) as Record<string, unknown>;
    const cjs = require('../dist/index.cjs') as Record<string, unknown>;
    for (const build of [esm, cjs]) {
      expect(typeof build.createAuthenticator).toBe('function');
      expect(typeof build.AuthError).toBe('function');
      expect(typeof build.ConfigError).toBe('function');
    }
    const testing = require('../dist/testing.cjs') as Record<string, unknown>;
    expect(typeof testing.createTestIssuer).toBe('function');
  });
});
