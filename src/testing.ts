/**
 * A real local OpenID Connect issuer for tests: it serves a discovery document and a
 * JWKS over HTTP on 127.0.0.1 and signs tokens with its keys.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'tenantgate/testing';
 *
 * const issuer = await createTestIssuer();
 * const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
 * // ... createAuthenticator({ issuerUrl: issuer.url, audience: issuer.audience, ... })
 * await issuer.close();
 * ```
 * @packageDocumentation
 */
export { createTestIssuer } from './testing/test-issuer.js';
export type {
  TestAlgorithm,
  TestEndpoint,
  TestIssuer,
  TestIssuerFailure,
  TestIssuerOptions,
  TestProfileName,
  TestResponse,
  TestSignOptions,
} from './testing/test-issuer.js';
export type { TestIntrospectionClient } from './testing/test-introspection.js';
