import { z } from 'zod';
import { ConfigError } from '../base/errors.js';
import { describeProblems, type OptionVocabulary } from '../base/problem-sentences.js';
import { PROFILE_NAMES } from './profiles/index.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const schema = z.strictObject({
  algorithms: z.array(z.enum(ALGORITHMS)).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  path: z.string().regex(/^\/[^?#]*$/).optional(),
  audience: z.string().min(1).optional(),
  profile: z.enum(PROFILE_NAMES).optional(),
  introspectionClient: z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) }).optional(),
});

const VOCABULARY: OptionVocabulary = {
  whole: 'The options of createTestIssuer()',
  quoteValues: true,
  expected: {
    '': 'an object such as { algorithms: ["ES256"] }',
    algorithms: `a list of algorithms among ${ALGORITHMS.join(', ')}`,
    'algorithms[]': `one of ${ALGORITHMS.join(', ')}`,
    port: 'a port number from 0 (any free port) to 65535',
    path: 'a path starting with "/", such as "/realms/example"',
    audience: 'a non-empty string',
    profile: `one of ${PROFILE_NAMES.join(', ')}`,
    introspectionClient: "an object such as { clientId: 'api', clientSecret: 'secret' }",
  },
  keys: { '': ['algorithms', 'port', 'path', 'audience', 'profile', 'introspectionClient'], introspectionClient: ['clientId', 'clientSecret'] },
};

/**
 * Checks the options of `createTestIssuer`: a misspelt one (`algorithm` for `algorithms`)
 * would otherwise start an issuer unlike the one the test meant, and the test would pass or
 * fail for the wrong reason.
 * @throws {ConfigError} listing every problem
 * @internal
 */
export function checkTestIssuerOptions(options: unknown): void {
  const parsed = schema.safeParse(options, { reportInput: true });
  if (!parsed.success) throw new ConfigError(describeProblems(parsed.error.issues, VOCABULARY));
}
