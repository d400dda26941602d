/**
 * Microsoft Entra ID, one tenant. v2.0 issuer `https://login.microsoftonline.com/<tid>/v2.0`
 * (JWKS `/<tid>/discovery/v2.0/keys`); v1.0 issuer `https://sts.windows.net/<tid>/` (trailing
 * slash; JWKS `/<tid>/discovery/keys`). Keys carry `x5c` and `x5t`, `kid` equal to `x5t`, and
 * no `alg`. Access tokens: `tid`, `oid`, `roles` (app roles), `scp`, `azp` (v2) or `appid`
 * (v1), `ver: '2.0'` or `'1.0'`; `aud` is the API's application id (v2) or App ID URI (v1).
 * Only the path and claim shapes are reproduced: locally both live on 127.0.0.1. Multi-tenant
 * apps (`entra-multitenant`): discovery at `/organizations/v2.0`, whose `issuer` is the template
 * `https://login.microsoftonline.com/{tenantid}/v2.0`, and tokens whose `iss` names the user's
 * own tenant (`tid`).
 * Sources: https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference,
 * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference,
 * https://learn.microsoft.com/en-us/entra/identity-platform/signing-key-rollover (keys).
 */
import { hexId, type ProfileContext, type TestProfile } from './profile.js';

/** The tenant id of both Entra profiles. */
export const ENTRA_TENANT_ID = '72f988bf-0000-4000-8000-00000000aaaa';
const SOURCES = [
  'https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference',
  'https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference',
  'https://learn.microsoft.com/en-us/entra/identity-platform/signing-key-rollover',
];
const common = ({ origin }: ProfileContext) => ({
  token_endpoint: `${origin}/${ENTRA_TENANT_ID}/oauth2/v2.0/token`,
  tenant_region_scope: 'EU',
});
const user = {
  tid: ENTRA_TENANT_ID,
  oid: '00000000-0000-4000-8000-0000000000b1',
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  name: 'Alice Example',
  uti: 'AbCdEfGhIjKlMnOpQrStUv',
};

export const entraV2: TestProfile = {
  name: 'entra-v2',
  source: SOURCES,
  path: `/${ENTRA_TENANT_ID}/v2.0`,
  jwksPath: `/${ENTRA_TENANT_ID}/discovery/v2.0/keys`,
  audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
  jwk: { alg: false, x5c: true, kidIsX5t: true },
  discovery: (context) => ({ ...common(context), authorization_endpoint: `${context.origin}/${ENTRA_TENANT_ID}/oauth2/v2.0/authorize` }),
  claims: () => ({
    ...user,
    ver: '2.0',
    azp: '2d4d11a2-f814-46a7-890a-274a72a7309e',
    azpacr: '0',
    preferred_username: 'alice@example.com',
    scp: 'access_as_user',
    aio: hexId(24),
  }),
};

export const entraV1: TestProfile = {
  name: 'entra-v1',
  source: SOURCES,
  path: `/${ENTRA_TENANT_ID}`,
  trailingSlash: true,
  jwksPath: `/${ENTRA_TENANT_ID}/discovery/keys`,
  audience: 'api://metrics-api',
  jwk: { alg: false, x5c: true, kidIsX5t: true },
  discovery: (context) => ({ ...common(context), authorization_endpoint: `${context.origin}/${ENTRA_TENANT_ID}/oauth2/authorize` }),
  claims: () => ({
    ...user,
    ver: '1.0',
    appid: '2d4d11a2-f814-46a7-890a-274a72a7309e',
    appidacr: '0',
    upn: 'alice@example.com',
    unique_name: 'alice@example.com',
    scp: 'user_impersonation',
  }),
};

export const entraMultitenant: TestProfile = {
  name: 'entra-multitenant',
  source: [...SOURCES, 'https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant'],
  path: '/organizations/v2.0',
  jwksPath: '/organizations/discovery/v2.0/keys',
  audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
  jwk: { alg: false, x5c: true, kidIsX5t: true },
  discovery: ({ origin }) => ({
    issuer: `${origin}/{tenantid}/v2.0`,
    token_endpoint: `${origin}/organizations/oauth2/v2.0/token`,
    authorization_endpoint: `${origin}/organizations/oauth2/v2.0/authorize`,
  }),
  // A token of the default tenant; another tenant's is `sign({ tid, iss })`.
  claims: ({ origin }) => ({
    ...user,
    iss: `${origin}/${ENTRA_TENANT_ID}/v2.0`,
    ver: '2.0',
    azp: '2d4d11a2-f814-46a7-890a-274a72a7309e',
    azpacr: '0',
    roles: ['Metrics.Read'],
  }),
};
