import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createAuthenticator, type Authenticator } from '../src/index.js';
import { collectMetrics } from '../src/prometheus.js';
import { createTestIssuer, type TestIssuer } from '../src/testing.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

async function setup(): Promise<{ issuer: TestIssuer; auth: Authenticator; registry: Registry }> {
  const issuer = await createTestIssuer();
  const auth = createAuthenticator({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: { '1': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
    jwks: { cooldown: 0 },
  });
  open.push(issuer, auth);
  const registry = new Registry();
  collectMetrics(auth, { registry });
  return { issuer, auth, registry };
}

/** The value of one sample line in the exposition text, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('collectMetrics', () => {
  it('counts outcomes by code, latency, cache use, refreshes and per-issuer key gauges', async () => {
    const { issuer, auth, registry } = await setup();
    const token = await issuer.sign({ sub: 'pref-1-a' });
    await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    await auth.authenticate({ authorization: `Bearer tenant-2:${token}` }).catch(() => undefined);
    await auth.authenticate({}).catch(() => undefined);
    const text = await registry.metrics();
    const issuerLabel = `issuer="${issuer.url}"`;
    expect(sample(text, 'tenantgate_authentications_total{result="accepted",code="ok"}')).toBe(2);
    expect(sample(text, 'tenantgate_authentications_total{result="rejected",code="tenant_forbidden"}')).toBe(1);
    expect(sample(text, 'tenantgate_authentications_total{result="rejected",code="credentials_missing"}')).toBe(1);
    expect(sample(text, 'tenantgate_authenticate_duration_seconds_count{result="accepted"}')).toBe(2);
    expect(sample(text, 'tenantgate_cache_requests_total{cache="token",result="hit"}')).toBe(2);
    expect(sample(text, 'tenantgate_cache_requests_total{cache="token",result="miss"}')).toBe(1);
    expect(sample(text, `tenantgate_jwks_refreshes_total{${issuerLabel},result="success"}`)).toBe(1);
    expect(sample(text, `tenantgate_discovery_requests_total{${issuerLabel},result="success"}`)).toBe(1);
    expect(sample(text, `tenantgate_jwks_keys{${issuerLabel}}`)).toBe(1);
    expect(sample(text, `tenantgate_issuer_ready{${issuerLabel}}`)).toBe(1);
    expect(sample(text, `tenantgate_jwks_age_seconds{${issuerLabel}}`)).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE tenantgate_authenticate_duration_seconds histogram');
    expect(text).not.toContain(token.split('.')[2]);
  });

  it('counts failed refreshes and skipped keys', async () => {
    const { issuer, auth, registry } = await setup();
    issuer.publish({ kty: 'oct', k: 'c2VjcmV0', kid: 'symmetric' });
    await auth.ready();
    issuer.fail('down');
    const token = await issuer.sign({ sub: 'pref-1-a' }, { header: { kid: 'unknown' } });
    await auth.authenticate({ authorization: `Bearer tenant-1:${token}` }).catch(() => undefined);
    const text = await registry.metrics();
    const issuerLabel = `issuer="${issuer.url}"`;
    expect(sample(text, `tenantgate_jwks_refreshes_total{${issuerLabel},result="failure"}`)).toBe(1);
    expect(sample(text, `tenantgate_jwks_keys_skipped_total{${issuerLabel},reason="symmetric key"}`)).toBe(1);
    expect(sample(text, 'tenantgate_authentications_total{result="rejected",code="key_not_found"}')).toBe(1);
  });

  it('counts introspection calls by result', async () => {
    const issuer = await createTestIssuer();
    const auth = createAuthenticator({
      issuerUrl: issuer.url,
      audience: issuer.audience,
      accessPolicyClaim: 'sub',
      accessPolicyRegex: '(.*)',
      accessPolicies: { team1: { scopes: ['metrics:read'], realms: [{ tenant: 't1' }] } },
      introspection: issuer.introspectionClient,
    });
    open.push(issuer, auth);
    const registry = new Registry();
    collectMetrics(auth, { registry });
    const token = await issuer.issueOpaqueToken({ sub: 'team1' });
    await auth.authenticate({ authorization: `Bearer t1:${token}` });
    await auth.authenticate({ authorization: 'Bearer t1:unknown-token' }).catch(() => undefined);
    issuer.fail('down', { endpoint: 'introspection' });
    await auth.authenticate({ authorization: 'Bearer t1:another-token' }).catch(() => undefined);
    const text = await registry.metrics();
    const issuerLabel = `issuer="${issuer.url}"`;
    expect(sample(text, `tenantgate_introspection_requests_total{${issuerLabel},result="active"}`)).toBe(1);
    expect(sample(text, `tenantgate_introspection_requests_total{${issuerLabel},result="inactive"}`)).toBe(1);
    expect(sample(text, `tenantgate_introspection_requests_total{${issuerLabel},result="failure"}`)).toBe(1);
    expect(text).not.toContain(token);
  });

  it('stops counting and unregisters on stop()', async () => {
    const { auth } = await setup();
    const registry = new Registry();
    const metrics = collectMetrics(auth, { registry });
    expect(await registry.metrics()).toContain('tenantgate_authentications_total');
    metrics.stop();
    await auth.authenticate({}).catch(() => undefined);
    expect(await registry.metrics()).not.toContain('tenantgate_');
  });

  it('refuses an object that is not an authenticator', () => {
    expect(() => collectMetrics({} as Authenticator, { registry: new Registry() })).toThrow(TypeError);
  });

  it('refuses a misspelt or mistyped option instead of using the default registry', () => {
    const auth = createAuthenticator({
      issuerUrl: 'https://idp.example.com',
      audience: 'api',
      accessPolicyClaim: 'sub',
      accessPolicyRegex: '(.*)',
      accessPolicies: {},
    });
    const registry = new Registry();
    const problems = (options: unknown) => {
      try {
        collectMetrics(auth, options as Parameters<typeof collectMetrics>[1]);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ registy: registry })).toEqual(['`registy` is not an option (did you mean `registry`?).']);
    expect(problems({ registry: {} })[0]).toMatch(/`registry` must be a prom-client Registry/);
    expect(problems({ buckets: [0.1, 0.01] })[0]).toMatch(/`buckets` must be in increasing order/);
    expect(problems({ buckets: [-1] })[0]).toMatch(/`buckets\[0\]` must be a positive number of seconds/);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    void auth.close();
  });
});
