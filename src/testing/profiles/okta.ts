/**
 * Okta, custom authorization server `default`: issuer `https://<org>.okta.com/oauth2/default`,
 * JWKS `/oauth2/default/v1/keys` (`alg`, `use`, no `x5c`). Access tokens: `ver: 1`, `jti`,
 * `aud: 'api://default'`, `cid` (client id), `uid` (user id), `scp` (a list), `sub` (the login),
 * and `groups` only when a groups claim is configured on the server.
 * Sources: https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS,
 * https://developer.okta.com/docs/concepts/auth-servers/.
 */
import { hexId, type TestProfile } from './profile.js';

const SERVER = '/oauth2/default';

export const okta: TestProfile = {
  name: 'okta',
  source: ['https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS', 'https://developer.okta.com/docs/concepts/auth-servers/'],
  path: SERVER,
  jwksPath: `${SERVER}/v1/keys`,
  audience: 'api://default',
  jwk: { alg: true, x5c: false },
  discovery: ({ url }) => ({
    authorization_endpoint: `${url}/v1/authorize`,
    token_endpoint: `${url}/v1/token`,
    introspection_endpoint: `${url}/v1/introspect`,
  }),
  claims: () => ({
    ver: 1,
    jti: `AT.${hexId(24)}`,
    cid: '0oa1b2c3d4EXAMPLE5d6',
    uid: '00u1b2c3d4EXAMPLE5d6',
    scp: ['openid', 'profile'],
    sub: 'alice@example.com',
  }),
};
