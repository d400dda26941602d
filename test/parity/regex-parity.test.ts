import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/base/errors.js';
import { REGEX_ENGINE_VARIABLE, REGEX_ENGINES, loadRegexEngine, type CompiledRegex, type RegexEngineName } from '../../src/base/regex-engine.js';
import { regexSchema } from '../../src/options/regex-option.js';
import { GO_UNICODE_VERSION, goLowercase } from '../../src/policy/lowercase.js';
import { captureOf, extractPolicyNames } from '../../src/policy/policy-names.js';
import { everyCodePoint, generatedCorpus, lowercaseSweep, REFUSED_BY_GO, type CorpusCase } from './regex-corpus.js';

/**
 * Every RE2 engine tenantgate can run must find the same policy names as GEM, which is
 * written in Go: the same first capture group as Go's `FindStringSubmatch` and the same
 * name as Go's `strings.ToLower`, on a generated corpus rich in Unicode case corners. Go
 * itself answers, through test/parity/go-oracle. Set PARITY_SEED to replay another corpus.
 */

const SEED = Number(process.env.PARITY_SEED ?? 20_260_519);
const ORACLE = fileURLToPath(new URL('./go-oracle/main.go', import.meta.url));

/** Cased scripts whose mappings are the same in Go 1.19's Unicode 13 and in later versions. */
const SWEEP: readonly (readonly [number, number])[] = [
  [0x0000, 0x058f], [0x10a0, 0x10ff], [0x13a0, 0x13ff], [0x1c80, 0x1cbf], [0x1e00, 0x1fff],
  [0x2100, 0x218f], [0x24b6, 0x24e9], [0x2c00, 0x2c2e], [0x2c30, 0x2c5e], [0x2c60, 0x2cff],
  [0xa640, 0xa69f], [0xa720, 0xa7bf], [0xab70, 0xabbf], [0xff21, 0xff5a], [0x10400, 0x104ff],
  [0x10c80, 0x10cff], [0x118a0, 0x118ff], [0x16e40, 0x16e9f], [0x1e900, 0x1e95f],
];

interface OracleResult {
  error?: string;
  groups?: (string | null)[];
  names?: (string | null)[];
}
interface OracleAnswer {
  go: string;
  unicode: string;
  results: OracleResult[];
  lowercase: string[];
  unassigned: number[];
}

/** Whether `go` runs here; in CI (CI=true) its absence is a failure, never a quiet pass. */
function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}
const HAS_GO = goAvailable();
const IN_CI = process.env.CI === 'true';

let oracleFolder = '';
let oracleBinary = '';

function askGo(cases: CorpusCase[], lowercase: string[] = []): OracleAnswer {
  const output = execFileSync(oracleBinary, { input: JSON.stringify({ cases, lowercase }), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8')) as OracleAnswer;
}

/** Compiles with the engine forced through the environment variable, as an operator would. */
function withEngine<T>(engine: RegexEngineName, run: () => T): T {
  const before = process.env[REGEX_ENGINE_VARIABLE];
  process.env[REGEX_ENGINE_VARIABLE] = engine;
  try {
    return run();
  } finally {
    if (before === undefined) delete process.env[REGEX_ENGINE_VARIABLE];
    else process.env[REGEX_ENGINE_VARIABLE] = before;
  }
}

function compileWith(engine: RegexEngineName, pattern: string): CompiledRegex | undefined {
  return withEngine(engine, () => {
    const parsed = regexSchema.safeParse(pattern);
    return parsed.success ? parsed.data : undefined;
  });
}

/** The name tenantgate extracts from one claim value, or null when it finds none. */
function nameOf(value: string, regex: CompiledRegex): string | null {
  try {
    return extractPolicyNames({ v: value }, 'v', regex)[0] ?? null;
  } catch (error) {
    if (error instanceof AuthError && error.code === 'policy_not_found') return null;
    throw error;
  }
}

/** Where an engine and Go disagree, described for the failure message (at most a few). */
function disagreements(engine: RegexEngineName, cases: CorpusCase[], answer: OracleAnswer): string[] {
  const found: string[] = [];
  cases.forEach((corpusCase, index) => {
    const expected = answer.results[index] ?? {};
    const regex = compileWith(engine, corpusCase.pattern);
    if (expected.error !== undefined || regex === undefined) {
      if ((expected.error === undefined) !== (regex === undefined)) {
        found.push(`${JSON.stringify(corpusCase.pattern)}: Go ${expected.error ?? 'accepts it'}, ${engine} ${regex === undefined ? 'refuses it' : 'accepts it'}`);
      }
      return;
    }
    corpusCase.values.forEach((value, at) => {
      const group = captureOf(value, regex) ?? null;
      const name = nameOf(value, regex);
      const goGroup = expected.groups?.[at] ?? null;
      const goName = expected.names?.[at] ?? null;
      if (group !== goGroup || name !== goName) {
        found.push(`${JSON.stringify(corpusCase.pattern)} on ${JSON.stringify(value)}: Go ${JSON.stringify([goGroup, goName])}, ${engine} ${JSON.stringify([group, name])}`);
      }
    });
  });
  return found.slice(0, 10);
}

/** Engines that must take part: all of them in CI, where every one is installed. */
function enginesHere(): RegexEngineName[] {
  return REGEX_ENGINES.filter((engine) => {
    try {
      loadRegexEngine(engine);
      return true;
    } catch (error) {
      if (IN_CI) throw error;
      console.warn(`regex parity: engine ${engine} cannot load here, left out: ${String(error)}`);
      return false;
    }
  });
}

describe('every RE2 engine agrees with Go (GEM) on policy names', () => {
  const corpus = generatedCorpus(SEED, 400, 12);
  const sweep = lowercaseSweep(SWEEP);
  let answer: OracleAnswer | undefined;
  let sweepAnswer: OracleAnswer | undefined;

  beforeAll(() => {
    if (!HAS_GO) return;
    oracleFolder = mkdtempSync(join(tmpdir(), 'tenantgate-go-oracle-'));
    oracleBinary = join(oracleFolder, 'go-oracle');
    execFileSync('go', ['build', '-o', oracleBinary, ORACLE], { stdio: 'inherit', env: { ...process.env, GO111MODULE: 'off' } });
    answer = askGo(corpus);
    sweepAnswer = askGo([sweep]);
  }, 120_000);

  afterAll(() => {
    if (oracleFolder !== '') rmSync(oracleFolder, { recursive: true, force: true });
  });

  it('has go to ask, or says plainly why the comparison did not run', ({ skip }) => {
    if (HAS_GO) {
      expect(answer?.results).toHaveLength(corpus.length);
      return;
    }
    if (IN_CI) throw new Error('go is not installed: CI must install golang-go to prove parity with GEM');
    const note = 'go is not installed: the regex engines were NOT compared with Go (install golang-go)';
    // Printed as well as attached to the skip, so that the default reporter shows it too.
    console.warn(`regex parity: ${note}`);
    skip(note);
  });

  it('uses a corpus where many values give a name, some none, and patterns Go accepts', ({ skip }) => {
    if (answer === undefined) return skip('no answer from Go (see the first test)');
    const names = answer.results.flatMap((result) => result.names ?? []);
    const named = names.filter((name) => name !== null).length;
    expect(named / names.length).toBeGreaterThan(0.2);
    expect(named).toBeLessThan(names.length);
    expect(answer.results.filter((result) => result.error !== undefined)).toEqual([]);
    // The corners do reach the names: Go folds these, and they come out lowercased.
    expect(names.some((name) => name !== null && /[σςıſǆ]/u.test(name))).toBe(true);
  });

  for (const engine of REGEX_ENGINES) {
    it(`${engine}: same first group and same lowercased name as Go on every value`, ({ skip }) => {
      if (answer === undefined) return skip('no answer from Go (see the first test)');
      if (!enginesHere().includes(engine)) return skip(`${engine} cannot load here`);
      expect(disagreements(engine, corpus, answer)).toEqual([]);
    });

    it(`${engine}: lowercases every cased script code point by code point like strings.ToLower`, ({ skip }) => {
      if (sweepAnswer === undefined) return skip('no answer from Go (see the first test)');
      if (!enginesHere().includes(engine)) return skip(`${engine} cannot load here`);
      expect(disagreements(engine, [sweep], sweepAnswer)).toEqual([]);
    });

    it(`${engine}: refuses at setup every pattern Go refuses`, () => {
      if (!enginesHere().includes(engine)) return;
      const accepted = REFUSED_BY_GO.filter((pattern) => compileWith(engine, pattern) !== undefined);
      expect(accepted).toEqual([]);
    });
  }

  it('lowercases every code point Go knows like strings.ToLower, and newer ones by GO_UNICODE_VERSION', ({ skip }) => {
    if (!HAS_GO) return skip('go is not installed');
    const texts = everyCodePoint(2048);
    const go = askGo([], texts);
    const major = (version: string) => Number(version.split('.')[0]);
    const unknown = new Set(go.unassigned);
    const differences: string[] = [];
    const newerChanged: number[] = [];
    texts.forEach((text, index) => {
      const ours = [...goLowercase(text)];
      const theirs = [...(go.lowercase[index] ?? '')];
      [...text].forEach((character, at) => {
        const codePoint = character.codePointAt(0) ?? 0;
        if (unknown.has(codePoint)) {
          if (ours[at] !== character) newerChanged.push(codePoint);
        } else if (ours[at] !== theirs[at]) {
          differences.push(`U+${codePoint.toString(16)}: Go ${theirs[at]}, tenantgate ${ours[at]}`);
        }
      });
    });
    if (major(go.unicode) > major(GO_UNICODE_VERSION)) {
      differences.unshift(`the oracle's Go uses Unicode ${go.unicode}, newer than GO_UNICODE_VERSION ${GO_UNICODE_VERSION}: decide which GEM runs`);
    }
    expect(differences.slice(0, 10)).toEqual([]);
    // Letters this Go does not know yet: only those of Unicode 14 (Go 1.21+) are lowercased,
    // and to what the runtime's own (Unicode 17) tables say.
    expect(newerChanged.length).toBe(major(go.unicode) < 14 ? 40 : 0);
    for (const codePoint of newerChanged) {
      const character = String.fromCodePoint(codePoint);
      expect(goLowercase(character)).toBe(character.toLowerCase());
    }
  }, 60_000);

  it('Go refuses each of those patterns too', ({ skip }) => {
    if (!HAS_GO) return skip('go is not installed');
    const refused = askGo(REFUSED_BY_GO.map((pattern) => ({ pattern, values: [] })));
    expect(refused.results.map((result) => result.error !== undefined)).toEqual(REFUSED_BY_GO.map(() => true));
  });
});
