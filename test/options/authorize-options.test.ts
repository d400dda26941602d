// Rule 24: `authorize()` refuses unknown keys and wrong types with a ConfigError, instead of
// answering "authorized" to `{ scopes }` or `{ tenants }`. Refusals stay AuthErrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, createAuthenticator, type Authenticator, type AuthResult } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER } from '../fixtures.js';

let issuer: TestIssuer;
let auth: Authenticator;
/** Read-only on tenant-1. */
let result: AuthResult;

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuthenticator(optionsFor(issuer, READER));
  result = await auth.authenticate({ authorization: `Bearer tenant-1:${await issuer.sign({ sub: 'pref-reader-1' })}` });
});

afterAll(async () => {
  await auth?.close();
  await issuer?.close();
});

/** What `authorize(result, options)` throws. */
function thrownBy(options: unknown): unknown {
  try {
    auth.authorize(result, options as Parameters<Authenticator['authorize']>[1]);
  } catch (error) {
    return error;
  }
  return undefined;
}

function problems(options: unknown): readonly string[] {
  const error = thrownBy(options);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe('authorize() options', () => {
  it('refuses `scopes`, which used to authorize a read-only token to write', () => {
    expect(problems({ scopes: 'metrics:write' })).toStrictEqual(['`scopes` is not an option of authorize() (did you mean `scope`?).']);
  });

  it('refuses `tenants`, which used to authorize any tenant', () => {
    expect(problems({ tenants: ['tenant-2'] })).toStrictEqual(['`tenants` is not an option of authorize() (did you mean `tenant`?).']);
  });

  it('refuses values of the wrong type', () => {
    expect(problems({ scope: ['metrics:write'], tenant: 5 })).toStrictEqual([
      '`scope` of authorize() must be a scope such as "metrics:write"; got a list.',
      '`tenant` of authorize() must be a tenant ID, or several joined by "|"; got 5.',
    ]);
    expect(problems({ tenant: null })).toStrictEqual(['`tenant` of authorize() must be a tenant ID, or several joined by "|"; got null.']);
  });

  it('lists every problem at once', () => {
    expect(problems({ scope: 1, role: 'admin', tenant: 'tenant-1' })).toStrictEqual([
      '`scope` of authorize() must be a scope such as "metrics:write"; got 1.',
      '`role` is not an option of authorize().',
    ]);
  });

  it('refuses options that are not an object', () => {
    for (const options of ['metrics:write', null, 5, true]) {
      expect(problems(options)).toHaveLength(1);
      expect(problems(options)[0]).toMatch(/^The options of authorize\(\) must be an object such as \{ scope: "metrics:write" \}; got /);
    }
    expect(problems(['metrics:write'])).toStrictEqual(['`0` is not an option of authorize().']);
  });

  it('takes good options as before, and refusals stay AuthErrors', () => {
    expect(() => auth.authorize(result)).not.toThrow();
    expect(() => auth.authorize(result, {})).not.toThrow();
    expect(() => auth.authorize(result, { scope: undefined, tenant: undefined })).not.toThrow();
    expect(() => auth.authorize(result, { tenant: 'tenant-1', scope: 'metrics:read' })).not.toThrow();
    // Inherited keys are not the caller's options.
    expect(() => auth.authorize(result, Object.create({ extra: true }) as object)).not.toThrow();

    const write = thrownBy({ scope: 'metrics:write' });
    expect(write).toBeInstanceOf(AuthError);
    expect(write).toMatchObject({ code: 'insufficient_scope', status: 403 });
    expect(thrownBy({ tenant: 'tenant-2' })).toMatchObject({ code: 'tenant_forbidden', status: 403 });
  });
});
