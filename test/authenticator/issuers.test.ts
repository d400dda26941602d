/**
 * Several issuers, each with its own settings (`issuers`, DESIGN.md "Issuers"): the unverified
 * `iss` picks the entry before any fetch, and a token of one issuer is never checked with
 * another's keys, audience, algorithms or regex. Also `jwksUri` (no discovery) and
 * `audienceClaim`. Real issuers on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createAuthenticator, type AuthenticatorOptions } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { refusalOf } from '../fixtures.js';

const refusal = refusalOf;

describe('issuers with settings of their own', () => {
  let red: TestIssuer;
  let blue: TestIssuer;
  beforeAll(async () => {
    [red, blue] = await Promise.all([
      createTestIssuer({ algorithms: ['ES256'], audience: 'red-api' }),
      createTestIssuer({ algorithms: ['RS256'], audience: 'blue-api' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([red.close(), blue.close()]);
  });

  const options = (extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions => ({
    issuers: [
      { issuerUrl: red.url, audience: 'red-api', algorithms: ['ES256'], accessPolicyClaim: 'team', accessPolicyRegex: 'red-(.*)' },
      { issuerUrl: blue.url, audience: 'blue-api', algorithms: ['RS256'] },
    ],
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([a-z]+)-.*',
    accessPolicies: {
      ops: { scopes: ['metrics:read'], realms: [{ tenant: 'red-tenant' }] },
      reader: { scopes: ['metrics:read'], realms: [{ tenant: 'blue-tenant' }] },
    },
    ...extra,
  });

  it("checks each issuer's tokens with that issuer's audience, algorithms and policy mapping", async () => {
    const auth = createAuthenticator(options());
    const redToken = await red.sign({ sub: 'pref-reader-1', team: 'red-ops' });
    const blueToken = await blue.sign({ sub: 'pref-reader-1', team: 'red-ops' });
    await expect(auth.authenticate({ authorization: `Bearer red-tenant:${redToken}` })).resolves.toMatchObject({ policyNames: ['ops'] });
    await expect(auth.authenticate({ authorization: `Bearer blue-tenant:${blueToken}` })).resolves.toMatchObject({ policyNames: ['reader'] });
    // Each issuer's mapping only: the red token's sub would name "reader", the blue token's team "ops".
    expect(await refusal(auth.authenticate({ authorization: `Bearer blue-tenant:${redToken}` }))).toMatchObject({ code: 'tenant_forbidden' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer red-tenant:${blueToken}` }))).toMatchObject({ code: 'tenant_forbidden' });
    // Another issuer's audience is not this one's.
    const redForBlue = await red.sign({ sub: 'pref-reader-1', team: 'red-ops', aud: 'blue-api' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer red-tenant:${redForBlue}` }))).toMatchObject({ code: 'audience_mismatch' });
    await auth.close();
  });

  it("never verifies a token with another issuer's keys or algorithms, and fetches nothing for an unknown iss", async () => {
    const auth = createAuthenticator(options());
    await auth.ready();
    red.resetRequests();
    blue.resetRequests();
    // Signed by blue, claiming to be red: red's keys do not know it.
    const forged = await blue.sign({ iss: red.url, aud: 'red-api', sub: 'pref-reader-1', team: 'red-ops' });
    const error = await refusal(auth.authenticate({ authorization: `Bearer red-tenant:${forged}` }));
    expect(error.code).toBe('algorithm_not_allowed');
    expect(blue.requests).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
    // The same with a third issuer of red's algorithm: its key is not among red's.
    const green = await createTestIssuer({ algorithms: ['ES256'], audience: 'green-api' });
    const both = createAuthenticator(options({ issuers: [...(options().issuers ?? []), { issuerUrl: green.url, audience: 'green-api', algorithms: ['ES256'] }] }));
    await both.ready();
    green.resetRequests();
    const greenAsRed = await green.sign({ iss: red.url, aud: 'red-api', sub: 'pref-reader-1', team: 'red-ops' });
    expect(await refusal(both.authenticate({ authorization: `Bearer red-tenant:${greenAsRed}` }))).toMatchObject({ code: 'key_not_found' });
    expect(green.requests).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
    await both.close();
    await green.close();
    red.resetRequests();
    blue.resetRequests();
    const stranger = await blue.sign({ iss: 'https://idp.example.com', sub: 'pref-reader-1' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer blue-tenant:${stranger}` }))).toMatchObject({ code: 'issuer_mismatch' });
    expect(red.requests.jwks + blue.requests.jwks + red.requests.discovery + blue.requests.discovery).toBe(0);
    await auth.close();
  });

  it("refuses an algorithm the token's issuer does not allow, though another issuer does", async () => {
    const both = createTestIssuer({ algorithms: ['RS256', 'ES256'], audience: 'red-api' });
    const issuer = await both;
    const auth = createAuthenticator({
      issuers: [
        { issuerUrl: issuer.url, algorithms: ['ES256'] },
        { issuerUrl: blue.url, audience: 'blue-api', algorithms: ['RS256'] },
      ],
      audience: 'red-api',
      accessPolicyClaim: 'sub',
      accessPolicyRegex: 'pref-([a-z]+)-.*',
      accessPolicies: { reader: { scopes: ['metrics:read'], realms: [{ tenant: 't' }] } },
    });
    const rs256 = await issuer.sign({ sub: 'pref-reader-1' }, { alg: 'RS256' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer t:${rs256}` }))).toMatchObject({ code: 'algorithm_not_allowed' });
    const es256 = await issuer.sign({ sub: 'pref-reader-1' }, { alg: 'ES256' });
    await expect(auth.authenticate({ authorization: `Bearer t:${es256}` })).resolves.toMatchObject({ tenant: 't' });
    await auth.close();
    await issuer.close();
  });

  it('takes keys from jwksUri without discovery, and the audience from audienceClaim', async () => {
    const auth = createAuthenticator({
      issuerUrl: red.url,
      jwksUri: red.jwksUri,
      audience: 'red-client',
      audienceClaim: 'client_id',
      accessPolicyClaim: 'sub',
      accessPolicyRegex: 'pref-([a-z]+)-.*',
      accessPolicies: { reader: { scopes: ['metrics:read'], realms: [{ tenant: 't' }] } },
    });
    red.resetRequests();
    red.override('discovery', { status: 404, body: 'no discovery here' });
    const token = await red.sign({ sub: 'pref-reader-1', aud: undefined, client_id: 'red-client' });
    await expect(auth.authenticate({ authorization: `Bearer t:${token}` })).resolves.toMatchObject({ tenant: 't' });
    expect(red.requests.discovery).toBe(0);
    expect(auth.status().issuers[0]?.jwksUri).toBe(red.jwksUri);
    const otherClient = await red.sign({ sub: 'pref-reader-1', aud: 'red-client', client_id: 'other' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer t:${otherClient}` }))).toMatchObject({ code: 'audience_mismatch' });
    const noClient = await red.sign({ sub: 'pref-reader-1', aud: 'red-client' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer t:${noClient}` }))).toMatchObject({ code: 'audience_mismatch' });
    red.override('discovery', null);
    await auth.close();
  });

  it('names each mistake in the issuers at setup', () => {
    const problems = (input: Partial<AuthenticatorOptions>): string[] => {
      try {
        createAuthenticator({ ...options(), ...input } as AuthenticatorOptions);
      } catch (error) {
        if (error instanceof ConfigError) return [...error.problems];
        throw error;
      }
      return [];
    };
    expect(problems({ issuerUrl: red.url }).join('\n')).toMatch(/`issuerUrl` or `issuers`, not both/);
    expect(problems({ issuers: [{ issuerUrl: red.url }], audience: undefined }).join('\n')).toMatch(/`issuers\[0\]` has no `audience`/);
    expect(problems({ issuers: [{ issuerUrl: red.url, audience: 'a' }, { issuerUrl: red.url, audience: 'a' }] }).join('\n')).toMatch(/`issuers\[1\]\.issuerUrl` repeats/);
    expect(problems({ issuers: [{ issuerUrl: red.url, audience: 'a', audiance: 'b' } as never] }).join('\n')).toMatch(/audiance/);
    expect(problems({ issuers: undefined, issuerUrl: [red.url, blue.url], audience: 'a', jwksUri: red.jwksUri }).join('\n')).toMatch(/`jwksUri` needs exactly one `issuerUrl`/);
    expect(problems({ issuers: [{ issuerUrl: 'http://idp.example.com', audience: 'a' }] }).join('\n')).toMatch(/`issuers\[0\]\.issuerUrl`.*plain http/);
    expect(problems({ issuers: [] }).join('\n')).toMatch(/issuers/);
  });
});
