// Options most tests start from: an authenticator trusting one test issuer, its `sub` claim
// mapped whole through `(.*)` to the read-only policy `team1` on tenant `t1`; and what a refusal is.
import { AuthError, type AuthenticatorOptions } from '../src/index.js';
import type { TestIssuer } from '../src/testing.js';

/** The usual options for `issuer`, with `overrides` on top. */
export function optionsFor(issuer: TestIssuer, overrides: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions {
  return {
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '(.*)',
    accessPolicies: { team1: { scopes: ['metrics:read'], realms: [{ tenant: 't1' }] } },
    ...overrides,
  };
}

/** A policy `reader`, read-only on tenant-1, named by subjects like `pref-reader-1`. */
export const READER: Partial<AuthenticatorOptions> = {
  accessPolicyRegex: 'pref-([a-z]+)-.*',
  accessPolicies: { reader: { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
};

/** The AuthError a promise rejects with; anything else (an acceptance, another error) fails the test. */
export async function refusalOf(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}
