/**
 * docs/idp-recipes.md, first half: each recipe's configuration, exactly as documented, accepts
 * a token shaped like its IdP's (the `createTestIssuer({ profile })` issuer) with the expected
 * tenant and policy, and refuses the recipe's "typical mistake" with the expected code.
 * Keycloak, Microsoft Entra ID (v2.0 and v1.0), Okta, Auth0. The rest: idp-recipes-ci.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ENTRA_TENANT_ID } from '../../src/testing/profiles/index.js';
import type { TestIssuer, TestProfileName } from '../../src/testing.js';
import { authenticate, expectRefused, profileIssuers, type Recipe } from './idp-recipes-fixtures.js';

const issuers = profileIssuers(['keycloak', 'entra-v2', 'entra-v1', 'okta', 'auth0']);
const issuer = (name: TestProfileName): TestIssuer => issuers.get(name) as TestIssuer;

describe('Keycloak', () => {
  // issuerUrl: 'https://keycloak.example.com/realms/example'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('keycloak').url,
    audience: 'metrics-api',
    accessPolicyClaim: 'realm_access.roles',
    accessPolicyRegex: '^metrics-(.+)$',
  });

  it('accepts an access token whose realm role names the policy, once an audience mapper adds the API', async () => {
    const token = await issuer('keycloak').sign({
      aud: ['metrics-api', 'account'],
      realm_access: { roles: ['default-roles-example', 'offline_access', 'metrics-team1'] },
    });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses a token without the audience mapper (aud "account" only): audience_mismatch', async () => {
    const token = await issuer('keycloak').sign({ realm_access: { roles: ['metrics-team1'] } });
    await expectRefused(recipe(), 'tenant-1', token, 'audience_mismatch');
  });
});

describe('Microsoft Entra ID v2.0', () => {
  // issuerUrl: 'https://login.microsoftonline.com/<tenant id>/v2.0'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('entra-v2').url,
    audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
    accessPolicyClaim: 'roles',
    accessPolicyRegex: '^Metrics\\.(.+)$',
  });

  it('accepts a v2.0 access token whose app role names the policy (lowercased)', async () => {
    const token = await issuer('entra-v2').sign({ roles: ['Metrics.Team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses a v1.0 token (the API manifest still asks for v1 tokens): issuer_mismatch', async () => {
    const v1Issuer = `${new URL(issuer('entra-v2').url).origin}/${ENTRA_TENANT_ID}/`;
    const token = await issuer('entra-v2').sign({ iss: v1Issuer, ver: '1.0', roles: ['Metrics.Team1'] });
    await expectRefused(recipe(), 'tenant-1', token, 'issuer_mismatch');
  });
});

describe('Microsoft Entra ID v1.0', () => {
  // issuerUrl: 'https://sts.windows.net/<tenant id>/' (with the trailing slash)
  const recipe = (): Recipe => ({
    issuerUrl: issuer('entra-v1').url,
    audience: 'api://metrics-api',
    accessPolicyClaim: 'roles',
    accessPolicyRegex: '^Metrics\\.(.+)$',
  });

  it('accepts a v1.0 access token whose app role names the policy', async () => {
    expect(issuer('entra-v1').url.endsWith(`/${ENTRA_TENANT_ID}/`)).toBe(true);
    const token = await issuer('entra-v1').sign({ roles: ['Metrics.Team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses when the issuer is configured without its trailing slash: issuer_mismatch', async () => {
    const token = await issuer('entra-v1').sign({ roles: ['Metrics.Team1'] });
    await expectRefused({ ...recipe(), issuerUrl: issuer('entra-v1').url.replace(/\/$/, '') }, 'tenant-1', token, 'issuer_mismatch');
  });
});

describe('Okta', () => {
  // issuerUrl: 'https://example.okta.com/oauth2/default'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('okta').url,
    audience: 'api://default',
    accessPolicyClaim: 'groups',
    accessPolicyRegex: '^metrics-(.+)$',
  });

  it('accepts an access token of the custom authorization server with a groups claim', async () => {
    const token = await issuer('okta').sign({ groups: ['Everyone', 'metrics-team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses when the org authorization server is configured instead: issuer_mismatch', async () => {
    const token = await issuer('okta').sign({ groups: ['metrics-team1'] });
    await expectRefused({ ...recipe(), issuerUrl: new URL(issuer('okta').url).origin }, 'tenant-1', token, 'issuer_mismatch');
  });
});

describe('Auth0', () => {
  // issuerUrl: 'https://example.auth0.com/' (with the trailing slash)
  const recipe = (): Recipe => ({
    issuerUrl: issuer('auth0').url,
    audience: 'https://metrics.example.com/api',
    accessPolicyClaim: 'https://example.com/roles',
    accessPolicyRegex: '^metrics-(.+)$',
  });

  it('accepts an access token with a namespaced roles claim and an aud list', async () => {
    const token = await issuer('auth0').sign({ 'https://example.com/roles': ['metrics-team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses when the issuer is configured without its trailing slash: issuer_mismatch', async () => {
    const token = await issuer('auth0').sign({ 'https://example.com/roles': ['metrics-team1'] });
    await expectRefused({ ...recipe(), issuerUrl: issuer('auth0').url.replace(/\/$/, '') }, 'tenant-1', token, 'issuer_mismatch');
  });
});
