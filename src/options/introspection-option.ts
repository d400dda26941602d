import { createPrivateKey, createPublicKey, type JsonWebKeyInput } from 'node:crypto';
import { z } from 'zod';
import { jwsAlgorithm, keyObjectFits } from '../issuer/jws-algorithms.js';
import type { Duration } from '../base/duration.js';
import type { JWK } from '../token/jwt-types.js';
import { duration } from './duration-option.js';
import { algorithmSchema } from './algorithm-option.js';

/**
 * Token introspection (RFC 7662) for an issuer's opaque access tokens: a credential whose token
 * is not a compact JWS is sent to the issuer's introspection endpoint, and an active answer
 * goes through the same policy path as a JWT's claims.
 */
export interface IntrospectionOptions {
  /** The resource server's client ID at the issuer. */
  clientId: string;
  /** Its secret, sent as HTTP Basic (`client_secret_basic`). Set this or `privateKey`. */
  clientSecret?: string;
  /**
   * A private JWK with its `alg` (such as `RS256` or `ES256`): the client authenticates with a
   * signed assertion (`private_key_jwt`, RFC 7523) instead of a secret. Set this or `clientSecret`.
   */
  privateKey?: JWK;
  /** The introspection endpoint. Default: the discovery document's `introspection_endpoint`. */
  endpoint?: string;
  /**
   * How long an active answer is reused: until the earlier of the token's `exp` and this.
   * A revoked token is refused at the latest this long after revocation. Default `'1m'`.
   */
  cacheTtl?: Duration;
  /**
   * Whether an active answer must carry `exp` (RFC 7662 makes it optional). Default `true`;
   * with `false`, an answer without `exp` is valid for `cacheTtl`.
   */
  requireExp?: boolean;
}

/** Introspection settings after validation. @internal */
export interface ResolvedIntrospection {
  clientId: string;
  clientSecret: string | undefined;
  privateKey: JWK | undefined;
  endpoint: string | undefined;
  cacheTtlMs: number;
  requireExp: boolean;
}

const MAX_CACHE_TTL_MS = 60 * 60_000;
const nonEmpty = z.string().min(1);

/** A private JWK that signs with its own `alg`: checked here, or every introspection would fail. */
const privateJwk = z
  .looseObject({ kty: nonEmpty, alg: algorithmSchema, d: nonEmpty, kid: nonEmpty.optional() })
  .superRefine((jwk, context) => {
    const algorithm = jwsAlgorithm(jwk.alg);
    let fits = false;
    try {
      fits = algorithm !== undefined && keyObjectFits(algorithm, createPublicKey(createPrivateKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' })));
    } catch {
      context.addIssue({ code: 'custom', message: 'is not a private key node:crypto can import' });
      return;
    }
    if (!fits) context.addIssue({ code: 'custom', message: `is not a key for ${jwk.alg} (its type, curve or size does not fit)` });
  });

/** `introspection`, at the top level or on an `issuers` entry. @internal */
export const introspectionSchema = z
  .strictObject({
    clientId: nonEmpty,
    clientSecret: nonEmpty.optional(),
    privateKey: privateJwk.optional(),
    endpoint: nonEmpty.optional(),
    cacheTtl: duration('1m', { positive: true, maxMs: MAX_CACHE_TTL_MS }),
    requireExp: z.boolean().default(true),
  })
  .refine((options) => (options.clientSecret === undefined) !== (options.privateKey === undefined), {
    message: 'needs exactly one of `clientSecret` (client_secret_basic) and `privateKey` (private_key_jwt)',
  })
  .transform(
    (options): ResolvedIntrospection => ({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      privateKey: options.privateKey as JWK | undefined,
      endpoint: options.endpoint,
      cacheTtlMs: options.cacheTtl,
      requireExp: options.requireExp,
    }),
  );
