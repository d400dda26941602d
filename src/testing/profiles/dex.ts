/**
 * Dex: issuer as configured (here `https://<host>/dex`), JWKS `<issuer>/keys` (`alg`, `use`, no
 * `x5c`). ID tokens: `aud` the client id, `sub` (an encoded connector user id), `email`,
 * `email_verified`, `name`, `groups` when the connector provides them, and `federated_claims`
 * (`connector_id`, `user_id`).
 * Sources: https://dexidp.io/docs/ (README "ID Tokens" example), https://dexidp.io/docs/configuration/custom-scopes-claims-clients/.
 */
import type { TestProfile } from './profile.js';

export const dex: TestProfile = {
  name: 'dex',
  source: ['https://dexidp.io/docs/', 'https://dexidp.io/docs/configuration/custom-scopes-claims-clients/'],
  path: '/dex',
  jwksPath: '/dex/keys',
  audience: 'example-app',
  jwk: { alg: true, x5c: false },
  discovery: ({ url }) => ({
    authorization_endpoint: `${url}/auth`,
    token_endpoint: `${url}/token`,
    userinfo_endpoint: `${url}/userinfo`,
  }),
  claims: () => ({
    sub: 'CgcyMzQyNzQ5EgZnaXRodWI',
    email: 'jane.doe@example.com',
    email_verified: true,
    name: 'Jane Doe',
    groups: [],
    federated_claims: { connector_id: 'github', user_id: '2342749' },
  }),
};
