/**
 * Templated issuers (Microsoft Entra multi-tenant apps, DESIGN.md "Issuers"): an `issuerUrl`
 * holding `{tenantid}`, discovered at its `discoveryUrl`, whose document names the template
 * itself (as Entra's `organizations` document does). A token is accepted only when its own
 * `tid` fills the template to exactly its `iss`, and its tenant is allowed; every tenant shares
 * one key cache. A real local issuer plays Entra's `organizations` endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createAuthenticator, type AuthenticatorOptions } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { refusalOf } from '../fixtures.js';

const TENANT_A = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TENANT_B = '9188040d-6c67-4c5b-b112-36a304b66dad';

const refusal = refusalOf;

describe('a templated issuer ({tenantid})', () => {
  let entra: TestIssuer;
  let template: string;
  const issuerOf = (tid: string) => template.replace('{tenantid}', tid);
  beforeAll(async () => {
    entra = await createTestIssuer({ algorithms: ['RS256'], audience: 'api://metrics' });
    template = `${entra.url}/{tenantid}/v2.0`;
    entra.override('discovery', { body: { ...entra.discoveryDocument, issuer: template } });
  });
  afterAll(async () => {
    await entra.close();
  });

  const options = (entry: Record<string, unknown> = {}): AuthenticatorOptions => ({
    issuers: [{ issuerUrl: template, discoveryUrl: entra.discoveryUrl, ...entry }],
    audience: 'api://metrics',
    accessPolicyClaim: 'roles',
    accessPolicyRegex: '^metrics\\.(.+)$',
    accessPolicies: { reader: { scopes: ['metrics:read'], realms: [{ tenant: 't' }] } },
  });
  const tokenOf = (tid: string, iss = issuerOf(tid)) => entra.sign({ iss, tid, roles: ['metrics.reader'] });

  it("accepts each tenant's token whose own tid fills the template, with one key cache for all", async () => {
    const auth = createAuthenticator(options());
    entra.resetRequests();
    for (const tid of [TENANT_A, TENANT_B]) {
      await expect(auth.authenticate({ authorization: `Bearer t:${await tokenOf(tid)}` })).resolves.toMatchObject({ policyNames: ['reader'] });
    }
    expect(entra.requests).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
    expect(auth.status().issuers.map((status) => status.issuer)).toEqual([template]);
    await auth.close();
  });

  it("refuses a token naming another tenant's issuer than its tid, and a tenant not allowed", async () => {
    const auth = createAuthenticator(options());
    const crossed = await tokenOf(TENANT_B, issuerOf(TENANT_A));
    expect(await refusal(auth.authenticate({ authorization: `Bearer t:${crossed}` }))).toMatchObject({ code: 'issuer_mismatch' });
    const noTid = await entra.sign({ iss: issuerOf(TENANT_A), roles: ['metrics.reader'] });
    expect(await refusal(auth.authenticate({ authorization: `Bearer t:${noTid}` }))).toMatchObject({ code: 'issuer_mismatch' });
    const allowed = createAuthenticator(options({ allowedTenantIds: [TENANT_A] }));
    await expect(allowed.authenticate({ authorization: `Bearer t:${await tokenOf(TENANT_A)}` })).resolves.toMatchObject({ tenant: 't' });
    expect(await refusal(allowed.authenticate({ authorization: `Bearer t:${await tokenOf(TENANT_B)}` }))).toMatchObject({ code: 'issuer_mismatch' });
    await Promise.all([auth.close(), allowed.close()]);
  });

  it('fetches nothing for an iss outside the template, however close', async () => {
    const auth = createAuthenticator(options());
    entra.resetRequests();
    for (const iss of [`${entra.url}/${TENANT_A}/v2.0/extra`, `${entra.url}/${TENANT_A}/v1.0`, `${entra.url}//v2.0`, `${entra.url}/a/b/v2.0`]) {
      const token = await entra.sign({ iss, tid: TENANT_A, roles: ['metrics.reader'] });
      expect(await refusal(auth.authenticate({ authorization: `Bearer t:${token}` }))).toMatchObject({ code: 'issuer_mismatch' });
    }
    expect(entra.requests).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
    await auth.close();
  });

  it('names what a templated entry needs at setup', () => {
    const problems = (input: Partial<AuthenticatorOptions>): string => {
      try {
        createAuthenticator({ ...options(), ...input } as AuthenticatorOptions);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.join('\n');
        throw error;
      }
      return '';
    };
    expect(problems({ issuers: [{ issuerUrl: template }] })).toMatch(/holds \{tenantid\}: set `discoveryUrl`/);
    expect(problems({ issuers: [{ issuerUrl: entra.url, allowedTenantIds: [TENANT_A] }] })).toMatch(/`issuers\[0\]\.allowedTenantIds` needs an `issuerUrl` holding \{tenantid\}/);
    expect(problems({ issuers: undefined, issuerUrl: template })).toMatch(/a templated issuer goes in `issuers`/);
    expect(problems({ issuers: [{ issuerUrl: `${entra.url}/{tenantid}/{tenantid}`, discoveryUrl: entra.discoveryUrl }] })).toMatch(/once/);
  });
});

describe('a templated issuer in the protected resource metadata', () => {
  it('is listed per allowed tenant, filled in, and left out when every tenant is allowed', () => {
    const base = {
      audience: 'api://metrics',
      accessPolicyClaim: 'roles',
      accessPolicyRegex: '^metrics\\.(.+)$',
      accessPolicies: {},
      resourceMetadata: { resource: 'https://metrics.example.com' },
    };
    const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
    const discoveryUrl = 'https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration';
    const listed = createAuthenticator({
      ...base,
      issuers: [{ issuerUrl: template, discoveryUrl, allowedTenantIds: [TENANT_A, TENANT_B] }, { issuerUrl: 'https://idp.example.com' }],
    });
    expect(listed.protectedResourceMetadata()?.authorization_servers).toEqual([
      `https://login.microsoftonline.com/${TENANT_A}/v2.0`,
      `https://login.microsoftonline.com/${TENANT_B}/v2.0`,
      'https://idp.example.com',
    ]);
    const open = createAuthenticator({ ...base, issuers: [{ issuerUrl: template, discoveryUrl }, { issuerUrl: 'https://idp.example.com' }] });
    expect(open.protectedResourceMetadata()?.authorization_servers).toEqual(['https://idp.example.com']);
    void listed.close();
    void open.close();
  });
});
