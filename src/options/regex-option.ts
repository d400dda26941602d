import RE2 from 're2';
import { z } from 'zod';
import { enclosable, goRegexpProblem } from './go-regexp.js';

/**
 * `accessPolicyRegex`: valid RE2 that Go's regexp also accepts, with a capture group (its
 * first group is the policy name), compiled once.
 * @internal
 */
export const regexSchema = z.string().transform((pattern, context) => {
  let compiled: RE2;
  try {
    compiled = new RE2(pattern, 'u');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.addIssue({ code: 'custom', message: `is not valid RE2 syntax (${reason}); RE2 has no backreferences or lookaround` });
    return z.NEVER;
  }
  const goProblem = goRegexpProblem(pattern);
  if (goProblem !== undefined) {
    context.addIssue({ code: 'custom', message: goProblem });
    return z.NEVER;
  }
  // Alternating with the empty pattern makes every group show up in a match of ''.
  const groups = (new RE2(`(?:${enclosable(pattern)})|`, 'u').exec('')?.length ?? 1) - 1;
  if (groups < 1) {
    context.addIssue({ code: 'custom', message: 'needs a capture group, such as "(.*)": its first group is the policy name' });
    return z.NEVER;
  }
  return compiled;
});
