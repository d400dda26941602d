import { ConfigError } from '../base/errors.js';
import { closestName } from '../base/near-miss.js';
import { describeValue } from '../base/problem-sentences.js';

const KEYS = ['tenant', 'scope'];

const EXPECTED: Record<string, string> = {
  tenant: 'a tenant ID, or several joined by "|"',
  scope: 'a scope such as "metrics:write"',
};

/**
 * Refuses `authorize()` options with an unknown key (`scopes` for `scope`, which would
 * otherwise skip the scope check) or a value of the wrong type.
 *
 * The adapters call `authorize` on every request, so the good path is a few `typeof` checks
 * and no allocation: no zod, no `Object.keys`; the sentences are only built on failure.
 * @throws {ConfigError} listing every problem
 * @internal
 */
export function checkAuthorizeOptions(options: unknown): void {
  if (typeof options === 'object' && options !== null) {
    for (const key in options) {
      // Inherited keys are not the caller's: a polluted prototype must not fail every request.
      if (key !== 'tenant' && key !== 'scope' && Object.hasOwn(options, key)) throw optionsError(options);
    }
    const { tenant, scope } = options as { tenant?: unknown; scope?: unknown };
    if ((tenant === undefined || typeof tenant === 'string') && (scope === undefined || typeof scope === 'string')) return;
  }
  throw optionsError(options);
}

function optionsError(options: unknown): ConfigError {
  if (typeof options !== 'object' || options === null) {
    return new ConfigError([`The options of authorize() must be an object such as { scope: "metrics:write" }; got ${describeValue(options)}.`]);
  }
  const problems: string[] = [];
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    const expected = Object.hasOwn(EXPECTED, key) ? EXPECTED[key] : undefined;
    if (expected === undefined) {
      const close = closestName(key, KEYS);
      problems.push(`\`${key}\` is not an option of authorize()${close === undefined ? '' : ` (did you mean \`${close}\`?)`}.`);
    } else if (given[key] !== undefined && typeof given[key] !== 'string') {
      problems.push(`\`${key}\` of authorize() must be ${expected}; got ${describeValue(given[key])}.`);
    }
  }
  // Only an inherited `tenant` or `scope` of the wrong type gets here with nothing said.
  if (problems.length === 0) problems.push('The options of authorize() must hold `tenant` and `scope` as strings, if at all.');
  return new ConfigError(problems);
}
