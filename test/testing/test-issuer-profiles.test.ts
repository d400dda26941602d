/**
 * `createTestIssuer({ profile })`: each profile serves its IdP's URL paths, JWK members and
 * token shapes (src/testing/profiles/, each file citing its documentation), and a mistyped
 * profile is a ConfigError.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { ENTRA_TENANT_ID, PROFILE_NAMES, PROFILES } from '../../src/testing/profiles/index.js';
import { createTestIssuer, type TestIssuer, type TestIssuerOptions, type TestProfileName } from '../../src/testing.js';
import type { JWK } from '../../src/index.js';

const open: TestIssuer[] = [];
async function start(profile: TestProfileName): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ profile });
  open.push(issuer);
  return issuer;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** The path each IdP's issuer URL has (after the host), and where its JWKS lives. */
const SHAPES: Record<TestProfileName, { issuerPath: string; jwksPath: string }> = {
  keycloak: { issuerPath: '/realms/example', jwksPath: '/realms/example/protocol/openid-connect/certs' },
  'entra-v2': { issuerPath: `/${ENTRA_TENANT_ID}/v2.0`, jwksPath: `/${ENTRA_TENANT_ID}/discovery/v2.0/keys` },
  'entra-v1': { issuerPath: `/${ENTRA_TENANT_ID}/`, jwksPath: `/${ENTRA_TENANT_ID}/discovery/keys` },
  'entra-multitenant': { issuerPath: '/organizations/v2.0', jwksPath: '/organizations/discovery/v2.0/keys' },
  okta: { issuerPath: '/oauth2/default', jwksPath: '/oauth2/default/v1/keys' },
  auth0: { issuerPath: '/', jwksPath: '/.well-known/jwks.json' },
  cognito: { issuerPath: '/us-east-1_Example1', jwksPath: '/us-east-1_Example1/.well-known/jwks.json' },
  google: { issuerPath: '', jwksPath: '/oauth2/v3/certs' },
  'github-actions': { issuerPath: '', jwksPath: '/.well-known/jwks' },
  gitlab: { issuerPath: '', jwksPath: '/oauth/discovery/keys' },
  dex: { issuerPath: '/dex', jwksPath: '/dex/keys' },
};

describe.each(PROFILE_NAMES)('profile %s', (name) => {
  it('serves discovery and JWKS at the paths of the IdP, and names its documentation', async () => {
    const issuer = await start(name);
    const origin = new URL(issuer.url).origin;
    expect(issuer.profile).toBe(name);
    expect(issuer.url).toBe(`${origin}${SHAPES[name].issuerPath}`);
    expect(issuer.jwksUri).toBe(`${origin}${SHAPES[name].jwksPath}`);
    expect(issuer.discoveryUrl).toBe(`${origin}${SHAPES[name].issuerPath.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const discovery = await getJson(issuer.discoveryUrl);
    // A multi-tenant app's document names the template, not its own URL.
    const documented = name === 'entra-multitenant' ? `${origin}/{tenantid}/v2.0` : issuer.url;
    expect(discovery).toMatchObject({ issuer: documented, jwks_uri: issuer.jwksUri });
    expect(PROFILES[name].source.length).toBeGreaterThan(0);
    for (const source of PROFILES[name].source) expect(source).toMatch(/^https:\/\//);
  });

  it('publishes keys with the members the IdP publishes', async () => {
    const issuer = await start(name);
    const { keys } = (await getJson(issuer.jwksUri)) as { keys: JWK[] };
    const signing = keys.filter((key) => key.use === 'sig');
    expect(signing).toHaveLength(1);
    const [key] = signing as [JWK];
    expect('alg' in key).toBe(PROFILES[name].jwk.alg);
    expect('x5c' in key).toBe(PROFILES[name].jwk.x5c);
    expect(key.d).toBeUndefined();
    if (PROFILES[name].jwk.x5c) {
      const der = Buffer.from((key.x5c as string[])[0] as string, 'base64');
      const certificate = new X509Certificate(der);
      // The certificate certifies the very key of the JWK, and x5t is its SHA-1 thumbprint.
      expect(certificate.publicKey.export({ format: 'jwk' })).toMatchObject({ n: key.n, e: key.e });
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(key.x5t).toBe(createHash('sha1').update(der).digest('base64url'));
    }
    if (PROFILES[name].jwk.kidIsX5t) expect(key.kid).toBe(key.x5t);
    // Keycloak's realm keys include an RSA-OAEP key for encryption.
    expect(keys.some((other) => other.use === 'enc')).toBe(name === 'keycloak');
  });

  it("signs tokens with the IdP's default claims, which the test's claims override", async () => {
    const issuer = await start(name);
    const claims = decodeJwt(await issuer.sign());
    // A multi-tenant app's tokens name the user's own tenant's issuer.
    const origin = new URL(issuer.url).origin;
    expect(claims.iss).toBe(name === 'entra-multitenant' ? `${origin}/${ENTRA_TENANT_ID}/v2.0` : issuer.url);
    expect(claims.sub).toEqual(expect.any(String));
    if (name === 'cognito') {
      expect(claims.aud).toBeUndefined();
      expect(claims).toMatchObject({ client_id: issuer.audience, token_use: 'access', 'cognito:groups': [] });
    } else if (name === 'auth0') {
      expect(claims.aud).toEqual([issuer.audience, `${issuer.url}userinfo`]);
    } else {
      expect(claims.aud).toBe(issuer.audience);
    }
    expect(decodeJwt(await issuer.sign({ sub: 'someone-else' })).sub).toBe('someone-else');
  });
});

describe('profile claim shapes', () => {
  it.each([
    ['keycloak', { typ: 'Bearer', azp: 'metrics-client', realm_access: { roles: expect.any(Array) } }],
    ['entra-v2', { ver: '2.0', tid: ENTRA_TENANT_ID, oid: expect.any(String) }],
    ['entra-v1', { ver: '1.0', tid: ENTRA_TENANT_ID, appid: expect.any(String) }],
    ['okta', { ver: 1, cid: expect.any(String), uid: expect.any(String), scp: expect.any(Array) }],
    ['google', { email_verified: true, hd: 'example.com' }],
    ['github-actions', { sub: 'repo:octo-org/octo-repo:ref:refs/heads/main', repository_owner: 'octo-org', aud: 'https://github.com/octo-org' }],
    ['gitlab', { sub: 'project_path:my-group/my-project:ref_type:branch:ref:main', namespace_path: 'my-group', ref: 'main' }],
    ['dex', { email_verified: true, federated_claims: { connector_id: 'github' } }],
  ] as const)('%s', async (name, expected) => {
    const issuer = await start(name);
    expect(decodeJwt(await issuer.sign())).toMatchObject(expected);
  });

  it('keeps an explicit path and audience over the profile', async () => {
    const issuer = await createTestIssuer({ profile: 'keycloak', path: '/realms/other', audience: 'metrics-api' });
    open.push(issuer);
    expect(issuer.url.endsWith('/realms/other')).toBe(true);
    expect(decodeJwt(await issuer.sign()).aud).toBe('metrics-api');
  });
});

describe('a mistyped profile', () => {
  it('is a ConfigError naming the profiles', async () => {
    const error = await createTestIssuer({ profile: 'keycloack' } as unknown as TestIssuerOptions).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('profile');
    expect((error as ConfigError).message).toContain('entra-v2');
  });
});
