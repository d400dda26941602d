/**
 * GitLab CI/CD ID tokens: issuer `https://gitlab.com` (or the self-managed URL; discovery at
 * the root), JWKS `/oauth/discovery/keys` (`alg`, `use`, no `x5c`). Tokens: `aud` as the job's
 * `id_tokens` asks (no default), `sub` `project_path:<group>/<project>:ref_type:branch:ref:main`,
 * `namespace_path`, `project_path`, `ref` (a branch name, no `refs/heads/`), `ref_type`,
 * `ref_protected`, `pipeline_source`, `user_login`, ids as strings.
 * Source: https://docs.gitlab.com/ci/secrets/id_token_authentication/.
 */
import type { TestProfile } from './profile.js';

export const gitlab: TestProfile = {
  name: 'gitlab',
  source: ['https://docs.gitlab.com/ci/secrets/id_token_authentication/'],
  path: '',
  jwksPath: '/oauth/discovery/keys',
  audience: 'https://metrics.example.com',
  jwk: { alg: true, x5c: false },
  discovery: ({ origin }) => ({
    authorization_endpoint: `${origin}/oauth/authorize`,
    token_endpoint: `${origin}/oauth/token`,
  }),
  claims: () => ({
    sub: 'project_path:my-group/my-project:ref_type:branch:ref:main',
    namespace_id: '72',
    namespace_path: 'my-group',
    project_id: '20',
    project_path: 'my-group/my-project',
    user_id: '5',
    user_login: 'alice',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'main',
    ref_type: 'branch',
    ref_protected: 'true',
    runner_environment: 'gitlab-hosted',
    nbf: Math.floor(Date.now() / 1000) - 5,
  }),
};
