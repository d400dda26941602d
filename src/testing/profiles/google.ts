/**
 * Google: issuer `https://accounts.google.com` (discovery at the root), JWKS
 * `https://www.googleapis.com/oauth2/v3/certs` (reproduced as `/oauth2/v3/certs`: `alg`, `use`,
 * no `x5c`). ID tokens: `aud` the OAuth client id, `azp`, `sub` (a number as a string), `email`,
 * `email_verified`, `hd` for Workspace accounts. Google documents that `iss` may also be
 * `accounts.google.com` without the scheme (legacy); signing `iss` that way is up to the test.
 * Sources: https://developers.google.com/identity/openid-connect/reference,
 * https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken.
 */
import type { TestProfile } from './profile.js';

export const google: TestProfile = {
  name: 'google',
  source: ['https://developers.google.com/identity/openid-connect/reference', 'https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken'],
  path: '',
  jwksPath: '/oauth2/v3/certs',
  audience: '1234987819200-example.apps.googleusercontent.com',
  jwk: { alg: true, x5c: false },
  discovery: ({ origin }) => ({
    authorization_endpoint: `${origin}/o/oauth2/v2/auth`,
    token_endpoint: `${origin}/token`,
    userinfo_endpoint: `${origin}/v1/userinfo`,
    claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
  }),
  claims: ({ audience }) => ({
    azp: audience,
    sub: '110169484474386276334',
    email: 'alice@example.com',
    email_verified: true,
    hd: 'example.com',
  }),
};
