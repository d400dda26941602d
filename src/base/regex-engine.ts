import { createRequire } from 'node:module';
import { ConfigError } from './errors.js';
import { closestName } from './near-miss.js';
import { describeThrown, quoted } from './operator-text.js';

/** The RE2 engines tenantgate can run `accessPolicyRegex` on. */
export type RegexEngineName = 're2' | 're2js';

/**
 * The environment variable that forces one engine (`re2` or `re2js`), for tests of the
 * fallback and for operators who want the same engine everywhere. Unset, the first engine
 * that loads is used, in the order of {@link REGEX_ENGINES}.
 * @internal
 */
export const REGEX_ENGINE_VARIABLE = 'TENANTGATE_REGEX_ENGINE';

/**
 * Every engine, in the order they are tried: the native `re2` addon (fastest to compile),
 * then `re2js`, the pure JavaScript port of Go's regexp through RE2/J. Google's `re2-wasm`
 * was measured too and left out: it never frees a compiled regex in its fixed 16 MiB heap,
 * so a process aborts after as few as 79 compiles of a `(?i)` `\p{L}` regex
 * (docs/performance.md has the figures). JavaScript's own `RegExp` is never one of them:
 * its syntax and semantics differ from Go's.
 * @internal
 */
export const REGEX_ENGINES: readonly RegexEngineName[] = ['re2', 're2js'];

/**
 * A compiled RE2 pattern. `exec` finds the leftmost match, unanchored, like Go's
 * `FindStringSubmatch`: the whole match, then each group (`undefined` when a group did not
 * take part), or `null` when nothing matches. The native `re2` object is one as it is.
 * @internal
 */
export interface CompiledRegex {
  /** The pattern as written. */
  readonly source: string;
  exec(value: string): readonly (string | undefined)[] | null;
}

/** One RE2 engine, loaded. @internal */
export interface RegexEngine {
  readonly name: RegexEngineName;
  /** @throws {Error} with RE2's own reason when the pattern is not valid RE2 syntax */
  compile(pattern: string): CompiledRegex;
}

type Loader = (load: (specifier: string) => unknown) => RegexEngine;

function hasExec(value: unknown): value is CompiledRegex {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'exec') === 'function';
}

/** A constructor taking `(pattern, flags)`, as `re2` exports. */
type RegexConstructor = new (pattern: string, flags: string) => unknown;

function constructorOf(value: unknown, name: string): RegexConstructor {
  if (typeof value !== 'function') throw new Error(`${name} does not export a regex class`);
  return value as RegexConstructor;
}

function fromConstructor(name: RegexEngineName, Construct: RegexConstructor): RegexEngine {
  return {
    name,
    compile(pattern) {
      // 'u': code points, not UTF-16 units, as Go reads UTF-8.
      const compiled = new Construct(pattern, 'u');
      if (!hasExec(compiled)) throw new Error(`${name} returned no regex`);
      return compiled;
    },
  };
}

const LOADERS: Record<RegexEngineName, Loader> = {
  re2: (load) => fromConstructor('re2', constructorOf(load('re2'), 're2')),
  re2js: (load) => {
    const loaded = load('re2js');
    const RE2JS: unknown = typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'RE2JS') : undefined;
    const compileJs = typeof RE2JS === 'function' ? Reflect.get(RE2JS, 'compile') : undefined;
    if (typeof compileJs !== 'function') throw new Error('re2js does not export RE2JS.compile');
    return {
      name: 're2js',
      compile(pattern) {
        // Default flags: Perl syntax, leftmost-first, as Go's regexp.Compile.
        const compiled: unknown = Reflect.apply(compileJs, RE2JS, [pattern]);
        if (!hasExec(compiled)) throw new Error('re2js returned no regex');
        return { source: pattern, exec: (value) => compiled.exec(value) };
      },
    };
  },
};

/**
 * `require` from this module, synchronously, in the ESM and the CommonJS build alike
 * (`createAuthenticator` is synchronous, so the engine cannot be awaited). The CommonJS
 * build has no `import.meta.url`, the ESM build no `__filename`.
 */
function loadFromHere(): (specifier: string) => unknown {
  const here = typeof __filename === 'string' ? __filename : import.meta.url;
  return createRequire(here);
}

const loaded = new Map<RegexEngineName, RegexEngine>();

function tryLoad(name: RegexEngineName): RegexEngine | string {
  const known = loaded.get(name);
  if (known !== undefined) return known;
  try {
    const engine = LOADERS[name](loadFromHere());
    // A first compile proves the engine works here (a native addon may load, then fail).
    engine.compile('(x)');
    loaded.set(name, engine);
    return engine;
  } catch (error) {
    return describeThrown(error);
  }
}

function forcedName(): string | undefined {
  try {
    const value = process.env[REGEX_ENGINE_VARIABLE];
    return value === undefined || value === '' ? undefined : value;
  } catch {
    // Deno without --allow-env refuses to read the environment: nothing is forced then.
    return undefined;
  }
}

function isEngineName(name: string): name is RegexEngineName {
  return (REGEX_ENGINES as readonly string[]).includes(name);
}

/**
 * The engine named, loaded once.
 * @throws {ConfigError} when it cannot be loaded, with the reason
 * @internal
 */
export function loadRegexEngine(name: RegexEngineName): RegexEngine {
  const engine = tryLoad(name);
  if (typeof engine !== 'string') return engine;
  throw new ConfigError([`cannot be compiled: the RE2 engine ${name} cannot be loaded here (${engine}); install it, or unset ${REGEX_ENGINE_VARIABLE}`]);
}

/**
 * The engine in use: the one {@link REGEX_ENGINE_VARIABLE} names, else the first of
 * {@link REGEX_ENGINES} that loads.
 * @throws {ConfigError} when the variable names no engine or none can be loaded
 * @internal
 */
export function regexEngine(): RegexEngine {
  const forced = forcedName();
  if (forced !== undefined) {
    if (isEngineName(forced)) return loadRegexEngine(forced);
    if (forced === 're2-wasm') {
      throw new ConfigError([`cannot be compiled: ${REGEX_ENGINE_VARIABLE} names re2-wasm, which tenantgate does not use (it never frees a compiled regex); use re2js`]);
    }
    const hint = closestName(forced, REGEX_ENGINES);
    throw new ConfigError([
      `cannot be compiled: ${REGEX_ENGINE_VARIABLE} is ${quoted(forced)}, which names no RE2 engine${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; it takes ${REGEX_ENGINES.join(' or ')}`,
    ]);
  }
  const reasons: string[] = [];
  for (const name of REGEX_ENGINES) {
    const engine = tryLoad(name);
    if (typeof engine !== 'string') return engine;
    reasons.push(`${name}: ${engine}`);
  }
  throw new ConfigError([
    `cannot be compiled: no RE2 engine can be loaded here (${reasons.join('; ')}); install re2js, the engine without native code, beside tenantgate`,
  ]);
}
