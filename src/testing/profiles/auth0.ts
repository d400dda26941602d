/**
 * Auth0: issuer `https://<tenant>.auth0.com/` (trailing slash), JWKS `/.well-known/jwks.json`
 * (`x5c`, `x5t`, `alg`, `use`). Access tokens for an API: `aud` a list of the API identifier and
 * `<issuer>userinfo` when `openid` was requested, `azp`, `scope` (a space-separated string),
 * `permissions` when RBAC is on, and custom claims set by Actions under a namespace such as
 * `https://example.com/roles`.
 * Sources: https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims,
 * https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens,
 * https://auth0.com/docs/secure/tokens/json-web-tokens/locate-json-web-key-sets (x5c).
 */
import type { TestProfile } from './profile.js';

export const auth0: TestProfile = {
  name: 'auth0',
  source: ['https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims', 'https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens',
    'https://auth0.com/docs/secure/tokens/json-web-tokens/locate-json-web-key-sets'],
  path: '',
  trailingSlash: true,
  jwksPath: '/.well-known/jwks.json',
  audience: 'https://metrics.example.com/api',
  jwk: { alg: true, x5c: true },
  discovery: ({ origin }) => ({
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    userinfo_endpoint: `${origin}/userinfo`,
  }),
  claims: ({ url, audience }) => ({
    sub: 'auth0|64b7f0c2a1b2c3d4e5f60718',
    aud: [audience, `${url}userinfo`],
    azp: 'Xk2eVpZcExAmPlEcLiEnTiD00',
    scope: 'openid profile email',
  }),
};
