import { z } from 'zod';
import { ConfigError } from '../base/errors.js';
import { regexEngine, type CompiledRegex, type RegexEngine } from '../base/regex-engine.js';
import { enclosable, goRegexpProblem } from './go-regexp.js';

/**
 * `accessPolicyRegex`: valid RE2 that Go's regexp also accepts, with a capture group (its
 * first group is the policy name), compiled once by the engine in use (`re2`, else one
 * without native code; never JavaScript's `RegExp`).
 * @internal
 */
export const regexSchema = z.string().transform((pattern, context) => {
  let engine: RegexEngine;
  try {
    engine = regexEngine();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  // Before compiling, so that \C gets the same sentence whichever engine runs: re2js
  // refuses it as a syntax error, re2 accepts it.
  const goProblem = goRegexpProblem(pattern);
  if (goProblem !== undefined) {
    context.addIssue({ code: 'custom', message: goProblem });
    return z.NEVER;
  }
  let compiled: CompiledRegex;
  try {
    compiled = engine.compile(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.addIssue({ code: 'custom', message: `is not valid RE2 syntax (${reason}); RE2 has no backreferences or lookaround` });
    return z.NEVER;
  }
  // Alternating with the empty pattern makes every group show up in a match of ''.
  const groups = (engine.compile(`(?:${enclosable(pattern)})|`).exec('')?.length ?? 1) - 1;
  if (groups < 1) {
    context.addIssue({ code: 'custom', message: 'needs a capture group, such as "(.*)": its first group is the policy name' });
    return z.NEVER;
  }
  return compiled;
});
