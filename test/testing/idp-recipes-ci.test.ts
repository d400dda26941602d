/**
 * docs/idp-recipes.md, second half: Amazon Cognito, Google, GitHub Actions, GitLab CI and Dex.
 * Each recipe's configuration, exactly as documented, accepts a token shaped like its IdP's
 * and refuses the recipe's "typical mistake" with the expected code.
 */
import { describe, expect, it } from 'vitest';
import type { TestIssuer, TestProfileName } from '../../src/testing.js';
import { authenticate, expectRefused, profileIssuers, type Recipe } from './idp-recipes-fixtures.js';

const issuers = profileIssuers(['cognito', 'google', 'github-actions', 'gitlab', 'dex']);
const issuer = (name: TestProfileName): TestIssuer => issuers.get(name) as TestIssuer;

describe('Amazon Cognito', () => {
  // issuerUrl: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('cognito').url,
    audience: '1example23456789abcdefghij',
    audienceClaim: 'client_id',
    accessPolicyClaim: 'cognito:groups',
    accessPolicyRegex: '^metrics-(.+)$',
  });

  it('accepts an access token (no aud; client_id names the app client) by its groups', async () => {
    const token = await issuer('cognito').sign({ 'cognito:groups': ['metrics-team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it("refuses it without audienceClaim: 'client_id' (the access token has no aud): audience_mismatch", async () => {
    const token = await issuer('cognito').sign({ 'cognito:groups': ['metrics-team1'] });
    const { audienceClaim: _omitted, ...withoutClaim } = recipe();
    await expectRefused(withoutClaim, 'tenant-1', token, 'audience_mismatch');
  });
});

describe('Google', () => {
  // issuerUrl: 'https://accounts.google.com'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('google').url,
    audience: '1234987819200-example.apps.googleusercontent.com',
    accessPolicyClaim: 'hd',
    accessPolicyRegex: '^(example\\.com)$',
  });

  it('accepts an ID token of a Workspace account by its hd claim', async () => {
    const token = await issuer('google').sign();
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['example.com'] });
  });

  it('refuses an ID token whose iss lacks the scheme (legacy "accounts.google.com"): issuer_mismatch', async () => {
    const token = await issuer('google').sign({ iss: issuer('google').url.replace(/^https?:\/\//, '') });
    await expectRefused(recipe(), 'tenant-1', token, 'issuer_mismatch');
  });
});

describe('GitHub Actions', () => {
  // issuerUrl: 'https://token.actions.githubusercontent.com'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('github-actions').url,
    audience: 'https://github.com/octo-org',
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '^repo:octo-org/([^:]+):ref:refs/heads/main$',
  });

  it("accepts a workflow's token from the main branch, the repository naming the policy", async () => {
    const token = await issuer('github-actions').sign();
    expect(await authenticate(recipe(), 'ci', token)).toMatchObject({ tenant: 'ci', policyNames: ['octo-repo'] });
  });

  it('refuses the default audience when the service expects its own: audience_mismatch', async () => {
    const token = await issuer('github-actions').sign();
    await expectRefused({ ...recipe(), audience: 'metrics-api' }, 'ci', token, 'audience_mismatch');
  });

  it('refuses a pull request workflow (its sub names no branch): policy_not_found', async () => {
    const token = await issuer('github-actions').sign({ sub: 'repo:octo-org/octo-repo:pull_request', ref: 'refs/pull/1/merge' });
    await expectRefused(recipe(), 'ci', token, 'policy_not_found');
  });
});

describe('GitLab CI', () => {
  // issuerUrl: 'https://gitlab.com'
  const recipe = (): Recipe => ({
    issuerUrl: issuer('gitlab').url,
    audience: 'https://metrics.example.com',
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '^project_path:my-group/([^:]+):ref_type:branch:ref:main$',
  });

  it("accepts a job's ID token from the main branch, the project naming the policy", async () => {
    const token = await issuer('gitlab').sign();
    expect(await authenticate(recipe(), 'ci', token)).toMatchObject({ tenant: 'ci', policyNames: ['my-project'] });
  });

  it('refuses with a GitHub-style regex (GitLab refs have no refs/heads/): policy_not_found', async () => {
    const token = await issuer('gitlab').sign();
    const githubStyle = { ...recipe(), accessPolicyRegex: '^project_path:my-group/([^:]+):ref_type:branch:ref:refs/heads/main$' };
    await expectRefused(githubStyle, 'ci', token, 'policy_not_found');
  });
});

describe('Dex', () => {
  // issuerUrl: 'https://dex.example.com/dex' (exactly the issuer of Dex's config)
  const recipe = (): Recipe => ({
    issuerUrl: issuer('dex').url,
    audience: 'example-app',
    accessPolicyClaim: 'groups',
    accessPolicyRegex: '^metrics-(.+)$',
  });

  it('accepts an ID token whose group names the policy', async () => {
    const token = await issuer('dex').sign({ groups: ['admins', 'metrics-team1'] });
    expect(await authenticate(recipe(), 'tenant-1', token)).toMatchObject({ tenant: 'tenant-1', policyNames: ['team1'] });
  });

  it('refuses when the issuer is configured with a trailing slash Dex does not have: issuer_mismatch', async () => {
    const token = await issuer('dex').sign({ groups: ['metrics-team1'] });
    await expectRefused({ ...recipe(), issuerUrl: `${issuer('dex').url}/` }, 'tenant-1', token, 'issuer_mismatch');
  });
});
