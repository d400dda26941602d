/**
 * A length of time: a number of seconds, or a string in Go's duration syntax
 * restricted to the units `ms`, `s`, `m` and `h` (`'500ms'`, `'30s'`, `'10m'`, `'1h30m'`),
 * the form GEM's own settings use.
 */
export type Duration = number | string;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;

/**
 * Converts a {@link Duration} to milliseconds, or returns `undefined` when it is not
 * a finite, non-negative duration.
 */
export function toMilliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (value === '0') return 0;
  if (value.length === 0 || value.length > 64) return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < value.length) {
    const part = DURATION_PART.exec(value);
    if (part === null) return undefined;
    total += Number(part[1]) * UNIT_MS[part[2] as keyof typeof UNIT_MS];
  }
  return Number.isFinite(total) ? total : undefined;
}
