/**
 * The RE2 engine tenantgate runs `accessPolicyRegex` on (issue 19): `re2` where the native
 * addon loads, else `re2js`; forced with TENANTGATE_REGEX_ENGINE; never JavaScript's RegExp.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { ConfigError } from '../../src/base/errors.js';
import { loadRegexEngine, REGEX_ENGINE_VARIABLE, REGEX_ENGINES, regexEngine } from '../../src/base/regex-engine.js';
import { regexSchema } from '../../src/options/regex-option.js';

const before = process.env[REGEX_ENGINE_VARIABLE];
afterEach(() => {
  if (before === undefined) delete process.env[REGEX_ENGINE_VARIABLE];
  else process.env[REGEX_ENGINE_VARIABLE] = before;
});

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError was thrown');
}

const OPTIONS = {
  issuerUrl: 'http://127.0.0.1:9/realm',
  audience: 'metrics-api',
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
};

describe('regex engine', () => {
  it('is re2, the native addon, where it loads (as here), with re2js after it', () => {
    delete process.env[REGEX_ENGINE_VARIABLE];
    expect(REGEX_ENGINES).toEqual(['re2', 're2js']);
    expect(regexEngine().name).toBe('re2');
  });

  it.each(REGEX_ENGINES)('%s: compiles unanchored, gives groups that did not take part as undefined', (name) => {
    const engine = loadRegexEngine(name);
    expect(engine.name).toBe(name);
    const regex = engine.compile('(a)|(b)');
    expect(regex.source).toBe('(a)|(b)');
    expect(regex.exec('xxb')?.slice(0, 3)).toEqual(['b', undefined, 'b']);
    expect(regex.exec('zzz')).toBeNull();
    // Code points, not UTF-16 units: one `.` takes a whole astral character.
    expect(engine.compile('^(.)').exec('😀x')?.[1]).toBe('😀');
  });

  it.each(REGEX_ENGINES)('%s: is not RegExp: RE2 syntax and semantics', (name) => {
    const engine = loadRegexEngine(name);
    expect(() => engine.compile('(a)\\1')).toThrow();
    expect(() => engine.compile('(?=a)(.*)')).toThrow();
    // (?P<name>) is RE2 and Go syntax that RegExp refuses; \pN is RE2's one-letter class.
    expect(engine.compile('(?P<id>\\pN+)').exec('ab12c')?.[1]).toBe('12');
  });

  it('is forced by TENANTGATE_REGEX_ENGINE, which regexSchema and createAuthenticator follow', () => {
    process.env[REGEX_ENGINE_VARIABLE] = 're2js';
    expect(regexEngine().name).toBe('re2js');
    const parsed = regexSchema.safeParse('pref-([0-9]+)-.*');
    expect(parsed.success && parsed.data.exec('xx-pref-42-a')?.[1]).toBe('42');
    // \C: the same sentence as with re2, although re2js refuses it as a syntax error itself.
    expect(problemsOf(() => createAuthenticator({ ...OPTIONS, accessPolicyRegex: 'pref-\\C(.*)' }))).toEqual([
      expect.stringMatching(/^`accessPolicyRegex` uses \\C \([a-z ]+\), which RE2 accepts but Go's regexp/),
    ]);
  });

  it('is named by status(), the engine the regexes were compiled with', async () => {
    delete process.env[REGEX_ENGINE_VARIABLE];
    const native = createAuthenticator(OPTIONS);
    process.env[REGEX_ENGINE_VARIABLE] = 're2js';
    const fallback = createAuthenticator(OPTIONS);
    // Read once at setup: changing the variable later does not change what status() says.
    delete process.env[REGEX_ENGINE_VARIABLE];
    const statuses: { ready: boolean; regexEngine?: unknown }[] = [native.status(), fallback.status()];
    expect(statuses.map((status) => status.regexEngine)).toEqual(['re2', 're2js']);
    await Promise.all([native.close(), fallback.close()]);
  });

  it('refuses an unknown engine name at setup, with a hint', () => {
    process.env[REGEX_ENGINE_VARIABLE] = 'RE2JS';
    expect(() => regexEngine()).toThrow(ConfigError);
    expect(problemsOf(() => createAuthenticator(OPTIONS))).toEqual([
      '`accessPolicyRegex` cannot be compiled: TENANTGATE_REGEX_ENGINE is "RE2JS", which names no RE2 engine (did you mean "re2js"?); it takes re2 or re2js.',
    ]);
  });

  it('refuses re2-wasm by name, saying why', () => {
    process.env[REGEX_ENGINE_VARIABLE] = 're2-wasm';
    expect(problemsOf(() => createAuthenticator(OPTIONS))).toEqual([
      expect.stringMatching(/names re2-wasm, which tenantgate does not use \(it never frees a compiled regex\); use re2js/),
    ]);
  });
});
