// Rule 24 for policies from an `accessPolicies` function: an invalid answer is still a 503
// `policy_store_unavailable`, and its cause names each problem by its path, for the
// operator, without quoting the store's values (rule 25).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

let issuer: TestIssuer;
const authenticators: Authenticator[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await Promise.all(authenticators.map((auth) => auth.close()));
  await issuer?.close();
});

/** The refusal of a request whose policy `team1` the store answers with `answer`. */
async function refusalFor(answer: unknown): Promise<AuthError> {
  const auth = createAuthenticator({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([a-z0-9]+)-.*',
    accessPolicies: async () => answer as [],
  });
  authenticators.push(auth);
  const token = await issuer.sign({ sub: 'pref-team1-secretvalue' });
  const refused: unknown = await auth.authenticate({ authorization: `Bearer tenant-1:${token}` }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(AuthError);
  expect(refused).toMatchObject({ code: 'policy_store_unavailable', status: 503 });
  return refused as AuthError;
}

async function causeOf(answer: unknown): Promise<string> {
  const { cause } = await refusalFor(answer);
  expect(cause).toBeInstanceOf(Error);
  return (cause as Error).message;
}

describe('an invalid store answer', () => {
  it.each([
    [
      'realms as strings',
      [{ name: 'team1', scopes: ['metrics:read'], realms: ['tenant-1'] }],
      '`policies[0].realms[0]` must be a realm such as { tenant: "tenant-1" }; got a string.',
    ],
    [
      'scopes as one string',
      [{ name: 'team1', scopes: 'metrics:read', realms: [] }],
      '`policies[0].scopes` must be a list of scope strings; got a string.',
    ],
    [
      'a realm without its tenant',
      [{ name: 'team1', scopes: [], realms: [{ cluster: 'eu-1' }] }],
      '`policies[0].realms[0].tenant` is required: it must be a tenant ID or "*".',
    ],
    [
      'a misspelt key',
      [{ name: 'team1', scopes: [], realms: [{ tennant: 'tenant-1' }] }],
      '`policies[0].realms[0].tenant` is required: it must be a tenant ID or "*". `policies[0].realms[0].tennant` is not an option (did you mean `tenant`?).',
    ],
    [
      'no name',
      [{ scopes: [], realms: [] }],
      '`policies[0].name` is required: it must be the policy name, a non-empty string.',
    ],
    ['one policy instead of a list', { name: 'team1', scopes: [], realms: [] }, '`policies` must be a list of access policies, each with its name; got an object.'],
  ])('names the path of %s', async (_label, answer, expected) => {
    expect(await causeOf(answer)).toBe(expected);
  });

  it('never quotes what the store returned, which may echo token-derived names', async () => {
    const message = await causeOf([{ name: 'team1', scopes: 'pref-team1-secretvalue', realms: [{ tenant: 'team1' }] }]);
    expect(message).toBe('`policies[0].scopes` must be a list of scope strings; got a string.');
  });

  it('keeps the message shown to clients generic', async () => {
    const refused = await refusalFor([{ name: 'team1', scopes: 'metrics:read', realms: [] }]);
    expect(refused.message).not.toContain('policies[0]');
  });
});
