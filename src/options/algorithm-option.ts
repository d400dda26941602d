import { z } from 'zod';

/** Asymmetric JWS algorithms tenantgate can verify. */
export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

/** A JWS algorithm tenantgate can verify. */
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** The algorithms accepted when `algorithms` is not set. */
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
];

/** One algorithm name of an option, with the reason a refused one is refused. @internal */
export const algorithmSchema = z.string().superRefine((name, context) => {
  if ((SUPPORTED_ALGORITHMS as readonly string[]).includes(name)) return;
  const why = /^none$/i.test(name)
    ? 'unsigned tokens are never accepted'
    : /^HS/i.test(name)
      ? 'HMAC algorithms are never accepted, since the keys of an OIDC issuer are public'
      : `supported algorithms are ${SUPPORTED_ALGORITHMS.join(', ')}`;
  context.addIssue({ code: 'custom', message: `contains "${name}": ${why}` });
});
