/**
 * Keycloak: issuer `https://<host>/realms/<realm>`, discovery at
 * `/realms/<realm>/.well-known/openid-configuration`, JWKS at
 * `/realms/<realm>/protocol/openid-connect/certs` (with `x5c`, `x5t`, `x5t#S256`, `alg`, and an
 * RSA-OAEP key with `use: enc` beside the signing keys). Access tokens carry `typ: 'Bearer'`,
 * `azp` (the client), `realm_access.roles`, `resource_access.<client>.roles`, `scope`, and
 * `aud: 'account'` unless an audience mapper adds the API.
 * Sources: https://www.keycloak.org/securing-apps/oidc-layers (endpoints),
 * https://www.keycloak.org/docs/latest/server_admin/#_audience (audience mappers, `account`).
 */
import { hexId, type TestProfile } from './profile.js';

const REALM = '/realms/example';

export const keycloak: TestProfile = {
  name: 'keycloak',
  source: ['https://www.keycloak.org/securing-apps/oidc-layers', 'https://www.keycloak.org/docs/latest/server_admin/#_audience'],
  path: REALM,
  jwksPath: `${REALM}/protocol/openid-connect/certs`,
  audience: 'account',
  jwk: { alg: true, x5c: true, x5tS256: true },
  encryptionKey: true,
  discovery: ({ url }) => ({
    authorization_endpoint: `${url}/protocol/openid-connect/auth`,
    token_endpoint: `${url}/protocol/openid-connect/token`,
    introspection_endpoint: `${url}/protocol/openid-connect/token/introspect`,
    userinfo_endpoint: `${url}/protocol/openid-connect/userinfo`,
    end_session_endpoint: `${url}/protocol/openid-connect/logout`,
  }),
  claims: () => ({
    jti: hexId(),
    typ: 'Bearer',
    azp: 'metrics-client',
    sub: 'f1b2c3d4-0000-4000-8000-00000000abcd',
    scope: 'openid profile email',
    preferred_username: 'alice',
    realm_access: { roles: ['default-roles-example', 'offline_access', 'uma_authorization'] },
    resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
  }),
};
