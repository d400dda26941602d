import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuthenticator, type AuthenticatorOptions, type AuthEvent } from '../../src/index.js';
import { operatorText } from '../../src/base/operator-text.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor } from '../fixtures.js';

let issuer: TestIssuer;
const authenticators: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(async () => {
  issuer.override('discovery', null);
  for (const auth of authenticators.splice(0)) await auth.close();
});
afterAll(async () => {
  await issuer.close();
});

function authenticator(extra: Partial<AuthenticatorOptions> = {}) {
  const events: AuthEvent[] = [];
  const auth = createAuthenticator(optionsFor(issuer, { onEvent: (event) => events.push(event), ...extra }));
  authenticators.push(auth);
  return { auth, events };
}

const bearer = async () => `Bearer t1:${await issuer.sign({ sub: 'team1' })}`;

describe('jwks_uri may carry a query (rule 25; Azure AD B2C)', () => {
  it('fetches a jwks_uri with ?p=<policy> and accepts its tokens', async () => {
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, jwks_uri: `${issuer.url}/jwks?p=b2c_1_signin` } });
    const { auth } = authenticator();
    const result = await auth.authenticate({ authorization: await bearer() });
    expect(result.tenant).toBe('t1');
    expect(auth.status().issuers[0]?.jwksUri).toBe(`${issuer.url}/jwks?p=b2c_1_signin`);
  });

  it('still refuses a jwks_uri with a fragment, and an issuerUrl with a query', async () => {
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, jwks_uri: `${issuer.url}/jwks#keys` } });
    const { auth } = authenticator();
    await expect(auth.ready()).rejects.toThrow(/must not have a fragment/);
    expect(() => authenticator({ issuerUrl: `${issuer.url}?p=x` })).toThrow(/query or fragment/);
  });
});

describe('strings from the IdP are escaped and cut before operators see them (rule 25)', () => {
  it('does not let a jwks_uri with a newline forge a log line', async () => {
    const forged = 'http://127.0.0.1:9/jwks\n2026-12-02 level=info msg="all good"';
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, jwks_uri: forged } });
    const { auth, events } = authenticator({ jwks: { timeout: '2s' } });
    await auth.ready().catch(() => undefined);
    const { lastError, jwksUri } = auth.status().issuers[0] ?? {};
    expect(lastError).toContain('\\u000a2026-12-02');
    expect(lastError).not.toMatch(/[\n\r]/);
    expect(jwksUri).not.toMatch(/[\n\r]/);
    const refresh = events.find((event) => event.type === 'jwks_refresh');
    expect(refresh?.type === 'jwks_refresh' && refresh.error).not.toMatch(/[\n\r]/);
  });

  it('cuts a 900 KiB issuer to a short lastError and ready() message', async () => {
    issuer.override('discovery', { body: { ...issuer.discoveryDocument, issuer: `https://evil.example/${'a'.repeat(900 * 1024)}` } });
    const { auth } = authenticator();
    const error = await auth.ready().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AuthError);
    const lastError = auth.status().issuers[0]?.lastError ?? '';
    expect(lastError).toMatch(/names the issuer "https:\/\/evil\.example\/a+…"/);
    expect(lastError.length).toBeLessThanOrEqual(200);
    expect((error as AuthError).message.length).toBeLessThan(400);
  });

  it('operatorText escapes controls and bidi overrides, and never splits a surrogate pair', () => {
    expect(operatorText('a\u0000b\u001bc\u007fd\u2028e\u202ef')).toBe('a\\u0000b\\u001bc\\u007fd\\u2028e\\u202ef');
    const cut = operatorText(`${'x'.repeat(198)}😀😀`);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(operatorText('\n'.repeat(1000)).length).toBeLessThanOrEqual(200);
  });
});

describe('rejected events carry the operator-facing reason (rule 25)', () => {
  it("names the policy store's failure", async () => {
    const { auth, events } = authenticator({
      accessPolicies: async () => {
        throw new Error('connect ECONNREFUSED db:5432');
      },
    });
    const error = await auth.authenticate({ authorization: await bearer() }).catch((thrown: unknown) => thrown);
    expect((error as AuthError).code).toBe('policy_store_unavailable');
    expect((error as AuthError).message).not.toContain('5432');
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected).toMatchObject({ type: 'rejected', code: 'policy_store_unavailable', reason: 'connect ECONNREFUSED db:5432' });
  });

  it("names the IdP's failure for issuer_unavailable", async () => {
    issuer.fail('down');
    try {
      const { auth, events } = authenticator();
      await auth.authenticate({ authorization: await bearer() }).catch(() => undefined);
      const rejected = events.find((event) => event.type === 'rejected');
      expect(rejected).toMatchObject({ code: 'issuer_unavailable', reason: expect.stringMatching(/HTTP 500/) });
    } finally {
      issuer.fail(null);
    }
  });

  it('gives the refusal message, never the token or claims, for other refusals', async () => {
    const { auth, events } = authenticator();
    const token = await issuer.sign({ sub: 'secret-subject', exp: Math.floor(Date.now() / 1000) - 3600 });
    await auth.authenticate({ authorization: `Bearer t1:${token}` }).catch(() => undefined);
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected).toMatchObject({ code: 'token_expired', reason: 'the token has expired' });
    expect(JSON.stringify(events)).not.toContain('secret-subject');
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2]);
  });
});
