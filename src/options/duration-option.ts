import { z } from 'zod';
import { toMilliseconds } from '../base/duration.js';

/**
 * A duration option (`'500ms'`, `'30s'`, `'10m'`, `'24h'` or seconds), in milliseconds once
 * parsed, with `fallback` when absent.
 * @internal
 */
export function duration(fallback: string, { positive = false, maxMs = Infinity } = {}) {
  return z.unknown().optional().transform((value, context) => {
    const ms = toMilliseconds(value === undefined ? fallback : value);
    const shape = "a duration such as '500ms', '30s', '10m' or '24h', or a number of seconds";
    if (ms === undefined) {
      context.addIssue({ code: 'custom', message: `must be ${shape}`, input: value });
      return z.NEVER;
    }
    if (positive && ms === 0) {
      context.addIssue({ code: 'custom', message: 'must be longer than zero', input: value });
      return z.NEVER;
    }
    if (ms > maxMs) {
      context.addIssue({ code: 'custom', message: `must be at most ${maxMs / 60_000} minutes`, input: value });
      return z.NEVER;
    }
    return ms;
  });
}

/** Like {@link duration}, but an absent value stays absent (an `issuers` entry inherits it). @internal */
export function optionalDuration(limits: { positive?: boolean; maxMs?: number } = {}) {
  const present = duration('0s', limits);
  return z.unknown().optional().pipe(z.union([z.undefined(), present]));
}
