import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, createAuthenticator, type AuthenticatorOptions } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { authenticateNow } from '../../src/authenticator/authenticate-now.js';

const policies = { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } };

describe('createAuthenticator', () => {
  it('throws one ConfigError, synchronously, listing every problem', () => {
    const attempt = () =>
      createAuthenticator({
        issuerUrl: 'http://idp.example.com',
        audience: '',
        accessPolicyClaim: 'sub',
        accessPolicyRegex: 'no-group',
        accessPolicies: {},
        jwks: { timeout: Number.NaN },
      } as AuthenticatorOptions);
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/`issuerUrl`.*plain http/);
      expect(problems.join('\n')).toMatch(/`audience`/);
      expect(problems.join('\n')).toMatch(/`accessPolicyRegex` needs a capture group/);
      expect(problems.join('\n')).toMatch(/`jwks.timeout`/);
    }
  });
});

describe('authenticate', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  const options = (extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions => ({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: policies,
    ...extra,
  });

  it('challenges with Bearer and Basic when Basic is enabled, Bearer alone otherwise', async () => {
    const both = createAuthenticator(options());
    const bearerOnly = createAuthenticator(options({ credentials: { basic: false } }));
    const both401 = await both.authenticate({}).catch((error: unknown) => error);
    const bearer401 = await bearerOnly.authenticate({}).catch((error: unknown) => error);
    expect(both401).toBeInstanceOf(AuthError);
    expect((both401 as AuthError).wwwAuthenticate).toBe('Bearer realm="tenantgate", Basic realm="tenantgate", charset="UTF-8"');
    expect((bearer401 as AuthError).wwwAuthenticate).toBe('Bearer realm="tenantgate"');
    await Promise.all([both.close(), bearerOnly.close()]);
  });

  it('returns the contract result and never puts the token in an event', async () => {
    const events: unknown[] = [];
    const auth = createAuthenticator(options({ onEvent: (event) => events.push(event) }));
    await auth.ready();
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const result = await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    expect(result).toMatchObject({
      tenant: 'tenant-1',
      tenants: ['tenant-1'],
      token,
      subject: 'pref-1234567890-abc',
      policyNames: ['1234567890'],
      accessPolicy: { name: '1234567890', virtual: false, scopes: ['metrics:read'], tenants: ['tenant-1'] },
    });
    expect(result.expiresAt.getTime()).toBe((result.claims.exp ?? 0) * 1000);
    // Shared between results, so frozen (docs/decisions.md), like the claims.
    expect(Object.isFrozen(result.tenants) && Object.isFrozen(result.policyNames) && Object.isFrozen(result.claims)).toBe(true);
    const again = await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    expect(again.expiresAt).not.toBe(result.expiresAt);
    await expect(auth.authenticate({ authorization: `Bearer tenant-1:${token}x` })).rejects.toMatchObject({ code: 'invalid_token' });
    const types = events.map((event) => (event as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['discovery', 'jwks_refresh', 'cache', 'authenticated', 'rejected']));
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2]);
    await auth.close();
  });

  it('answers a first-seen token at once, without a promise, when its keys and policy are at hand', async () => {
    const events: { type: string }[] = [];
    const auth = createAuthenticator(options({ onEvent: (event) => events.push(event) }));
    await auth.ready();
    // The first token resolves the policy; the second, never seen, finds keys and policy cached.
    await auth.authenticate({ authorization: `Bearer tenant-1:${await issuer.sign({ sub: 'pref-1234567890-one' })}` });
    const second = await issuer.sign({ sub: 'pref-1234567890-two' });
    await new Promise((resolve) => setImmediate(resolve));
    const answer = authenticateNow(auth, { authorization: `Bearer tenant-1:${second}` });
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ subject: 'pref-1234567890-two', tenant: 'tenant-1' });
    // It was cached: the next request is a hit.
    events.length = 0;
    expect(authenticateNow(auth, { authorization: `Bearer tenant-1:${second}` })).toMatchObject({ subject: 'pref-1234567890-two' });
    expect(events).toContainEqual({ type: 'cache', cache: 'token', hit: true });
    // A refusal found at once is thrown at once, once.
    events.length = 0;
    const other = await issuer.sign({ sub: 'pref-1234567890-three' });
    expect(() => authenticateNow(auth, { authorization: `Bearer tenant-2:${other}` })).toThrow(expect.objectContaining({ code: 'tenant_forbidden' }));
    expect(events.filter((event) => event.type === 'rejected')).toHaveLength(1);
    await auth.close();
  });

  it('keeps going when the event listener throws', async () => {
    const auth = createAuthenticator(options({ onEvent: () => { throw new Error('listener bug'); } }));
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    await expect(auth.authenticate({ authorization: `Bearer tenant-1:${token}` })).resolves.toMatchObject({ tenant: 'tenant-1' });
    await auth.close();
  });

  it('refuses once closed', async () => {
    const auth = createAuthenticator(options());
    await auth.close();
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    await expect(auth.authenticate({ authorization: `Bearer tenant-1:${token}` })).rejects.toMatchObject({
      code: 'issuer_unavailable',
      status: 503,
    });
  });
});
