/**
 * Shared by the idp-recipes tests: the policies of docs/idp-recipes.md, a profile issuer per
 * test file, and helpers that authenticate with exactly a recipe's configuration.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { AuthError, createAuthenticator, type AuthenticatorOptions, type AuthResult } from '../../src/index.js';
import { createTestIssuer, type TestIssuer, type TestProfileName } from '../../src/testing.js';

/** The access policies every recipe maps to (docs/idp-recipes.md, "Policies"). */
export const accessPolicies: AuthenticatorOptions['accessPolicies'] = {
  team1: { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  'example.com': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] },
  'octo-repo': { scopes: ['metrics:write'], realms: [{ tenant: 'ci' }] },
  'my-project': { scopes: ['metrics:write'], realms: [{ tenant: 'ci' }] },
};

/** A recipe: the options of docs/idp-recipes.md for one IdP, without `accessPolicies`. */
export type Recipe = Omit<AuthenticatorOptions, 'accessPolicies'>;

/** Starts one issuer per profile for the file's tests and closes them after. */
export function profileIssuers(names: TestProfileName[]): Map<TestProfileName, TestIssuer> {
  const issuers = new Map<TestProfileName, TestIssuer>();
  beforeAll(async () => {
    for (const name of names) issuers.set(name, await createTestIssuer({ profile: name }));
  });
  afterAll(async () => {
    await Promise.all([...issuers.values()].map((issuer) => issuer.close()));
  });
  return issuers;
}

/** Authenticates `Bearer <tenant>:<token>` with the recipe. */
export async function authenticate(recipe: Recipe, tenant: string, token: string): Promise<AuthResult> {
  const auth = createAuthenticator({ ...recipe, accessPolicies } as AuthenticatorOptions);
  try {
    return await auth.authenticate({ authorization: `Bearer ${tenant}:${token}` });
  } finally {
    await auth.close();
  }
}

/** Expects the recipe to refuse the token with `code`. */
export async function expectRefused(recipe: Recipe, tenant: string, token: string, code: string): Promise<void> {
  const error = await authenticate(recipe, tenant, token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).code).toBe(code);
}
