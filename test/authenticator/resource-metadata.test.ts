/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) through the core: the document
 * `protectedResourceMetadata()` returns (§2, §3.2), the well-known URL made from the resource
 * identifier (§3.1) and named in every challenge (§5.1), and the checks of the option at setup.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, ConfigError, createAuthenticator, type AuthenticatorOptions, type ResourceMetadataOptions } from '../../src/index.js';

const IDP = 'https://idp.example.com/realms/metrics';
const OTHER_IDP = 'https://login.example.org/tenant-2/v2.0';

/** Options of an authenticator that never fetches: nothing here needs a key. */
function options(overrides: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions {
  return {
    issuerUrl: IDP,
    audience: 'metrics-api',
    accessPolicyClaim: 'sub',
    accessPolicyRegex: '(.*)',
    accessPolicies: { team1: { scopes: ['metrics:read'], realms: [{ tenant: 't1' }] } },
    fetch: () => Promise.reject(new Error('no fetch in these tests')),
    ...overrides,
  };
}

const withMetadata = (resourceMetadata: ResourceMetadataOptions, overrides: Partial<AuthenticatorOptions> = {}) =>
  createAuthenticator(options({ resourceMetadata, ...overrides }));

async function refusal(pending: Promise<unknown>): Promise<AuthError> {
  const error = await pending.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

const metadataParam = (challenge: string) => [...challenge.matchAll(/resource_metadata="([^"]*)"/g)].map((match) => match[1]);

describe('protectedResourceMetadata()', () => {
  it('is undefined without the option, and challenges name no metadata', async () => {
    const auth = createAuthenticator(options());
    expect(auth.protectedResourceMetadata()).toBeUndefined();
    const error = await refusal(auth.authenticate({ authorization: undefined }));
    expect(error.wwwAuthenticate).toBe('Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"');
    await auth.close();
  });

  it('describes a resource trusting one issuer, Bearer only', async () => {
    const auth = withMetadata({ resource: 'https://metrics.example.com', scopesSupported: ['metrics:read', 'metrics:write', 'metrics:read'] });
    const document = auth.protectedResourceMetadata();
    expect(document).toEqual({
      resource: 'https://metrics.example.com',
      authorization_servers: [IDP],
      bearer_methods_supported: ['header'],
      scopes_supported: ['metrics:read', 'metrics:write'],
      dpop_bound_access_tokens_required: false,
    });
    expect(document).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(Object.isFrozen(document)).toBe(true);
    expect(Object.isFrozen(document?.authorization_servers)).toBe(true);
    expect(auth.protectedResourceMetadata()).toBe(document);
    await auth.close();
  });

  it('lists every trusted issuer and leaves out scopes when none are given', async () => {
    const auth = withMetadata({ resource: 'https://metrics.example.com/prometheus' }, { issuerUrl: [IDP, OTHER_IDP] });
    const document = auth.protectedResourceMetadata();
    expect(document?.authorization_servers).toEqual([IDP, OTHER_IDP]);
    expect(document).not.toHaveProperty('scopes_supported');
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      resource: 'https://metrics.example.com/prometheus',
      authorization_servers: [IDP, OTHER_IDP],
      bearer_methods_supported: ['header'],
      dpop_bound_access_tokens_required: false,
    });
    await auth.close();
  });

  it('says whether DPoP is required, with the proof algorithms when DPoP is on', async () => {
    const allowed = withMetadata({ resource: 'https://metrics.example.com' }, { dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'] } });
    expect(allowed.protectedResourceMetadata()).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    });
    const required = withMetadata({ resource: 'https://metrics.example.com' }, { dpop: { mode: 'required', algorithms: ['ES256'] } });
    expect(required.protectedResourceMetadata()).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: true,
    });
    await Promise.all([allowed.close(), required.close()]);
  });
});

describe('the well-known URL in challenges (RFC 9728 §3.1, §5.1)', () => {
  const cases: [string, string][] = [
    ['https://metrics.example.com', 'https://metrics.example.com/.well-known/oauth-protected-resource'],
    ['https://metrics.example.com/', 'https://metrics.example.com/.well-known/oauth-protected-resource'],
    ['https://metrics.example.com:8443/prometheus', 'https://metrics.example.com:8443/.well-known/oauth-protected-resource/prometheus'],
    ['https://metrics.example.com/api/v1/', 'https://metrics.example.com/.well-known/oauth-protected-resource/api/v1/'],
    ['https://metrics.example.com/?tenant=1', 'https://metrics.example.com/.well-known/oauth-protected-resource?tenant=1'],
    ['http://127.0.0.1:9009/api', 'http://127.0.0.1:9009/.well-known/oauth-protected-resource/api'],
    ['https://metrics.example.com/a b?c=\\"', 'https://metrics.example.com/.well-known/oauth-protected-resource/a%20b?c=%5C%22'],
  ];
  for (const [resource, url] of cases) {
    it(`${resource} -> ${url}`, async () => {
      const auth = withMetadata({ resource });
      const error = await refusal(auth.authenticate({ authorization: 'Bearer t1:not-a-jwt' }));
      expect(error.wwwAuthenticate).toMatch(/^Bearer realm="tenantgate", error="invalid_token", error_description="[^"]*", resource_metadata="[^"]*", Basic /);
      expect(metadataParam(error.wwwAuthenticate)).toEqual([url]);
      // The document's `resource` is the identifier exactly as configured (§3.3).
      expect(auth.protectedResourceMetadata()?.resource).toBe(resource);
      await auth.close();
    });
  }

  it('goes on the Bearer and DPoP challenges, not on Basic, and on 403s too', async () => {
    const url = 'https://metrics.example.com/.well-known/oauth-protected-resource';
    const allowed = withMetadata({ resource: 'https://metrics.example.com' }, { dpop: { mode: 'allowed', algorithms: ['ES256'] } });
    const missing = await refusal(allowed.authenticate({ authorization: undefined }));
    expect(missing.wwwAuthenticate).toBe(
      `Bearer realm="tenantgate", resource_metadata="${url}", DPoP realm="tenantgate", algs="ES256", resource_metadata="${url}", ` +
        'Basic realm="tenantgate", charset="UTF-8"',
    );
    const required = withMetadata({ resource: 'https://metrics.example.com' }, { dpop: { mode: 'required', algorithms: ['ES256'] } });
    const refused = await refusal(required.authenticate({ authorization: undefined }));
    expect(refused.wwwAuthenticate).toBe(`DPoP realm="tenantgate", algs="ES256", resource_metadata="${url}"`);
    const forbidden = (() => {
      try {
        allowed.authorize({ accessPolicy: {} } as never, { scope: 'metrics:read' });
      } catch (error) {
        return error as AuthError;
      }
      throw new Error('authorize accepted a result without a policy');
    })();
    expect(metadataParam(forbidden.wwwAuthenticate)).toEqual([url, url]);
    await Promise.all([allowed.close(), required.close()]);
  });
});

describe('the resourceMetadata option', () => {
  const problemsOf = (resourceMetadata: unknown, overrides: Partial<AuthenticatorOptions> = {}): string[] => {
    try {
      createAuthenticator(options({ resourceMetadata: resourceMetadata as ResourceMetadataOptions, ...overrides }));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error(`accepted ${JSON.stringify(resourceMetadata)}`);
  };

  it('refuses what is not a resource identifier', () => {
    expect(problemsOf({ resource: 'http://metrics.example.com' })).toEqual([
      '`resourceMetadata.resource` "http://metrics.example.com" uses plain http off loopback (use https, or set allowInsecureHttp).',
    ]);
    expect(problemsOf({ resource: 'https://metrics.example.com/#top' })).toEqual([
      '`resourceMetadata.resource` "https://metrics.example.com/#top" must not have a fragment.',
    ]);
    expect(problemsOf({ resource: 'metrics.example.com' })).toEqual(['`resourceMetadata.resource` "metrics.example.com" is not a valid URL.']);
    expect(problemsOf({ resource: 'urn:example:metrics' })).toEqual(['`resourceMetadata.resource` "urn:example:metrics" must use https.']);
    expect(problemsOf({ resource: 'https://user:secret@metrics.example.com' })[0]).toMatch(/must not contain credentials/);
  });

  it('accepts plain http off loopback with allowInsecureHttp', () => {
    const auth = createAuthenticator(options({ allowInsecureHttp: true, resourceMetadata: { resource: 'http://metrics.internal/api' } }));
    expect(auth.protectedResourceMetadata()?.resource).toBe('http://metrics.internal/api');
    void auth.close();
  });

  it('refuses a wrong shape, empty scopes and unknown keys, naming the option', () => {
    for (const bad of [
      'https://metrics.example.com',
      {},
      { resource: '' },
      { resource: 'https://metrics.example.com', scopesSupported: [] },
      { resource: 'https://metrics.example.com', scopesSupported: ['metrics:read', ''] },
      { resource: 'https://metrics.example.com', scopesSupported: 'metrics:read' },
    ]) {
      const problems = problemsOf(bad);
      expect(problems.length, JSON.stringify(bad)).toBeGreaterThan(0);
      expect(problems.join('\n'), JSON.stringify(bad)).toMatch(/resourceMetadata/);
    }
    expect(problemsOf({ resource: 'https://metrics.example.com', scopes: ['metrics:read'] }).join('\n')).toMatch(
      /`resourceMetadata\.scopes` is not an option/,
    );
  });

  it('lists its problems with the others', () => {
    const problems = problemsOf({ resource: 'http://metrics.example.com' }, { typ: '' });
    expect(problems).toHaveLength(2);
  });
});
