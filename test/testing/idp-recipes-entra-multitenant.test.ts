/**
 * The Entra multi-tenant recipe of docs/idp-recipes.md against the `entra-multitenant` profile:
 * the template trusted through the `organizations` discovery document, a token of each tenant,
 * and the recipe's typical mistakes.
 */
import { describe, expect, it } from 'vitest';
import { ENTRA_TENANT_ID } from '../../src/testing/profiles/index.js';
import { authenticate, expectRefused, profileIssuers, type Recipe } from './idp-recipes-fixtures.js';

const OTHER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

describe('Microsoft Entra ID, multi-tenant apps', () => {
  const issuers = profileIssuers(['entra-multitenant']);
  const recipe = (allowedTenantIds?: string[]): Recipe => {
    const issuer = issuers.get('entra-multitenant');
    if (issuer === undefined) throw new Error('no issuer');
    const origin = new URL(issuer.url).origin;
    return {
      issuers: [{ issuerUrl: `${origin}/{tenantid}/v2.0`, discoveryUrl: issuer.discoveryUrl, ...(allowedTenantIds ? { allowedTenantIds } : {}) }],
      audience: issuer.audience,
      accessPolicyClaim: 'roles',
      accessPolicyRegex: '^Metrics\\.(.+)$',
      allowInsecureHttp: true,
    };
  };
  const tokenOf = async (tid: string) => {
    const issuer = issuers.get('entra-multitenant');
    if (issuer === undefined) throw new Error('no issuer');
    return issuer.sign({ tid, iss: `${new URL(issuer.url).origin}/${tid}/v2.0`, roles: ['Metrics.Team1'] });
  };

  it("accepts each tenant's token through the template", async () => {
    for (const tid of [ENTRA_TENANT_ID, OTHER_TENANT]) {
      await expect(authenticate(recipe(), 'tenant-1', await tokenOf(tid))).resolves.toMatchObject({ policyNames: ['team1'] });
    }
    await expect(authenticate(recipe([ENTRA_TENANT_ID]), 'tenant-1', await tokenOf(ENTRA_TENANT_ID))).resolves.toMatchObject({ tenant: 'tenant-1' });
  });

  it('refuses a tenant outside allowedTenantIds, and the organizations URL trusted as the issuer', async () => {
    await expectRefused(recipe([ENTRA_TENANT_ID]), 'tenant-1', await tokenOf(OTHER_TENANT), 'issuer_mismatch');
    const issuer = issuers.get('entra-multitenant');
    if (issuer === undefined) throw new Error('no issuer');
    const wrong: Recipe = { ...recipe(), issuers: undefined, issuerUrl: issuer.url };
    await expectRefused(wrong, 'tenant-1', await tokenOf(ENTRA_TENANT_ID), 'issuer_mismatch');
  });
});
