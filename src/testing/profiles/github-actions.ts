/**
 * GitHub Actions OIDC: issuer `https://token.actions.githubusercontent.com` (discovery at the
 * root), JWKS `/.well-known/jwks` (`x5c`, `x5t`, `alg`). Tokens: `aud` defaults to the URL of
 * the repository owner (`https://github.com/<owner>`, or what `core.getIDToken(audience)` asks),
 * `sub` like `repo:<owner>/<repo>:ref:refs/heads/main`, `repository`, `repository_owner`,
 * `ref`, `ref_type`, `workflow`, `job_workflow_ref`, `event_name`, `runner_environment`, `nbf`.
 * Source: https://docs.github.com/en/actions/reference/security/oidc. GitHub's page does not list
 * the JWK members; `x5c`/`x5t` follow the `x5t` header of published example tokens
 * (https://github.com/rgl/github-actions-validate-jwt), not a documented JWKS.
 */
import { randomUUID } from 'node:crypto';
import type { TestProfile } from './profile.js';

export const githubActions: TestProfile = {
  name: 'github-actions',
  source: ['https://docs.github.com/en/actions/reference/security/oidc'],
  path: '',
  jwksPath: '/.well-known/jwks',
  audience: 'https://github.com/octo-org',
  jwk: { alg: true, x5c: true },
  discovery: () => ({
    subject_types_supported: ['public', 'pairwise'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'workflow', 'job_workflow_ref'],
  }),
  claims: () => ({
    jti: randomUUID(),
    nbf: Math.floor(Date.now() / 1000) - 5,
    sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
    ref: 'refs/heads/main',
    ref_type: 'branch',
    sha: 'example0b4e2d4b5a1c9f8e7d6c5b4a3f2e1d0c',
    repository: 'octo-org/octo-repo',
    repository_owner: 'octo-org',
    repository_owner_id: '123456',
    repository_visibility: 'private',
    actor: 'octocat',
    workflow: 'deploy',
    event_name: 'push',
    job_workflow_ref: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
    runner_environment: 'github-hosted',
  }),
};
