/**
 * AuthError and ConfigError (DESIGN.md items 19-21): codes, statuses, RFC 6750 challenges.
 */
import { describe, expect, it } from 'vitest';
import {
  AUTH_ERROR_STATUS,
  AuthError,
  ConfigError,
  DEFAULT_RETRY_AFTER_SECONDS,
  REALM,
  setChallengeSchemes,
  type AuthErrorCode,
} from '../../src/base/errors.js';

/**
 * Written by hand from DESIGN.md item 20, not derived from the implementation, plus the 0.2
 * contract's `invalid_dpop_proof` (RFC 9449) and `replay_store_unavailable` (docs/decisions.md).
 */
const EXPECTED_STATUS: Record<string, number> = {
  invalid_request: 400,
  credentials_missing: 401,
  invalid_token: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  issuer_mismatch: 401,
  audience_mismatch: 401,
  algorithm_not_allowed: 401,
  key_not_found: 401,
  invalid_dpop_proof: 401,
  policy_not_found: 403,
  tenant_forbidden: 403,
  insufficient_scope: 403,
  issuer_unavailable: 503,
  policy_store_unavailable: 503,
  replay_store_unavailable: 503,
};

/** RFC 6750 error per code, by hand: 400 -> invalid_request, 401 -> invalid_token, 403 -> insufficient_scope. */
const EXPECTED_OAUTH: Record<string, string | undefined> = {
  invalid_request: 'invalid_request',
  credentials_missing: undefined,
  invalid_token: 'invalid_token',
  token_expired: 'invalid_token',
  token_not_yet_valid: 'invalid_token',
  issuer_mismatch: 'invalid_token',
  audience_mismatch: 'invalid_token',
  algorithm_not_allowed: 'invalid_token',
  key_not_found: 'invalid_token',
  invalid_dpop_proof: 'invalid_dpop_proof',
  policy_not_found: 'insufficient_scope',
  tenant_forbidden: 'insufficient_scope',
  insufficient_scope: 'insufficient_scope',
  issuer_unavailable: 'temporarily_unavailable',
  policy_store_unavailable: 'temporarily_unavailable',
  replay_store_unavailable: 'temporarily_unavailable',
};

const CODES = Object.keys(EXPECTED_STATUS) as AuthErrorCode[];
const BASIC_CHALLENGE = ', Basic realm="tenantgate", charset="UTF-8"';

describe('AuthError codes and statuses', () => {
  it('has exactly the codes DESIGN.md lists', () => {
    expect(Object.keys(AUTH_ERROR_STATUS).sort()).toStrictEqual([...CODES].sort());
  });

  it.each(CODES)('%s has the documented status', (code) => {
    expect(AUTH_ERROR_STATUS[code]).toBe(EXPECTED_STATUS[code]);
    const error = new AuthError(code, 'something went wrong');
    expect(error.status).toBe(EXPECTED_STATUS[code]);
    expect(error.code).toBe(code);
  });

  it.each(CODES)('%s maps to the documented RFC 6750 error', (code) => {
    expect(new AuthError(code, 'x').oauthError).toBe(EXPECTED_OAUTH[code]);
  });

  it('never maps to a 500', () => {
    for (const code of CODES) expect([400, 401, 403, 503]).toContain(new AuthError(code, 'x').status);
  });
});

describe('AuthError basics', () => {
  it('is an Error with name, message, code and status', () => {
    const error = new AuthError('token_expired', 'token expired');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.name).toBe('AuthError');
    expect(error.message).toBe('token expired');
    expect(String(error)).toBe('AuthError: token expired');
    expect(error.stack).toContain('token expired');
  });

  it('keeps the cause without showing it in the message', () => {
    const cause = new Error('secret internal detail');
    const error = new AuthError('issuer_unavailable', 'the issuer is unavailable', { cause });
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('secret');
    expect(error.wwwAuthenticate).not.toContain('secret');
  });

  it('has no cause when none is given', () => {
    expect('cause' in new AuthError('invalid_token', 'x')).toBe(false);
  });

  it('sets retryAfter on 503 errors only', () => {
    expect(new AuthError('issuer_unavailable', 'x').retryAfter).toBe(DEFAULT_RETRY_AFTER_SECONDS);
    expect(DEFAULT_RETRY_AFTER_SECONDS).toBeGreaterThan(0);
    expect(new AuthError('policy_store_unavailable', 'x', { retryAfter: 30 }).retryAfter).toBe(30);
    expect(new AuthError('invalid_token', 'x', { retryAfter: 30 }).retryAfter).toBeUndefined();
    expect(new AuthError('insufficient_scope', 'x').retryAfter).toBeUndefined();
  });

  it('keeps the scope', () => {
    expect(new AuthError('insufficient_scope', 'x', { scope: 'metrics:write' }).scope).toBe('metrics:write');
    expect(new AuthError('insufficient_scope', 'x').scope).toBeUndefined();
  });
});

describe('wwwAuthenticate', () => {
  it('uses the realm tenantgate', () => {
    expect(REALM).toBe('tenantgate');
  });

  it('is a bare challenge when no credentials were sent', () => {
    expect(new AuthError('credentials_missing', 'no credentials were sent').wwwAuthenticate).toBe('Bearer realm="tenantgate"');
  });

  it('names invalid_token with its description', () => {
    expect(new AuthError('token_expired', 'token expired').wwwAuthenticate).toBe(
      'Bearer realm="tenantgate", error="invalid_token", error_description="token expired"',
    );
    expect(new AuthError('invalid_token', 'the token is not a JWT').wwwAuthenticate).toBe(
      'Bearer realm="tenantgate", error="invalid_token", error_description="the token is not a JWT"',
    );
  });

  it('names invalid_request for 400', () => {
    expect(new AuthError('invalid_request', 'the token is empty').wwwAuthenticate).toBe(
      'Bearer realm="tenantgate", error="invalid_request", error_description="the token is empty"',
    );
  });

  it('adds the scope for insufficient_scope', () => {
    const challenge = new AuthError('insufficient_scope', 'the scope metrics:write is not granted', { scope: 'metrics:write' })
      .wwwAuthenticate;
    expect(challenge).toBe(
      'Bearer realm="tenantgate", error="insufficient_scope", error_description="the scope metrics:write is not granted", scope="metrics:write"',
    );
    expect(challenge).toContain('scope="metrics:write"');
  });

  it('names insufficient_scope for the other 403 codes, without a scope attribute', () => {
    const challenge = new AuthError('tenant_forbidden', 'the tenant is not allowed').wwwAuthenticate;
    expect(challenge).toBe('Bearer realm="tenantgate", error="insufficient_scope", error_description="the tenant is not allowed"');
    expect(challenge).not.toContain(' scope=');
  });

  it.each(['issuer_unavailable', 'policy_store_unavailable'] as const)('%s has no error attribute and a retry hint', (code) => {
    const error = new AuthError(code, 'try again later');
    expect(error.status).toBe(503);
    expect(error.wwwAuthenticate).toBe('Bearer realm="tenantgate"');
    expect(error.wwwAuthenticate).not.toContain('error=');
    expect(error.retryAfter).toBeTypeOf('number');
  });

  it('adds a Basic challenge when basic credentials are enabled', () => {
    const missing = setChallengeSchemes(new AuthError('credentials_missing', 'x'), { basic: true });
    expect(missing.wwwAuthenticate).toBe(`Bearer realm="tenantgate"${BASIC_CHALLENGE}`);

    const expired = setChallengeSchemes(new AuthError('token_expired', 'token expired'), { basic: true });
    expect(expired.wwwAuthenticate).toBe(
      `Bearer realm="tenantgate", error="invalid_token", error_description="token expired"${BASIC_CHALLENGE}`,
    );

    const scoped = setChallengeSchemes(new AuthError('insufficient_scope', 'no', { scope: 'metrics:read' }), { basic: true });
    expect(scoped.wwwAuthenticate).toBe(
      `Bearer realm="tenantgate", error="insufficient_scope", error_description="no", scope="metrics:read"${BASIC_CHALLENGE}`,
    );

    const unavailable = setChallengeSchemes(new AuthError('issuer_unavailable', 'down'), { basic: true });
    expect(unavailable.wwwAuthenticate).toBe(`Bearer realm="tenantgate"${BASIC_CHALLENGE}`);
  });

  it('has no Basic challenge when basic is disabled or unknown', () => {
    const error = new AuthError('invalid_token', 'bad');
    expect(error.wwwAuthenticate).not.toContain('Basic');
    expect(setChallengeSchemes(error, { basic: false }).wwwAuthenticate).not.toContain('Basic');
  });

  it('setChallengeSchemes returns the same error and only affects that error', () => {
    const first = new AuthError('invalid_token', 'bad');
    const second = new AuthError('invalid_token', 'bad');
    expect(setChallengeSchemes(first, { basic: true })).toBe(first);
    expect(first.wwwAuthenticate).toContain('Basic');
    expect(second.wwwAuthenticate).not.toContain('Basic');
  });

  it('strips quotes, backslashes, control and non-ASCII characters from the description and scope', () => {
    const error = new AuthError('invalid_token', 'bad "quoted" \\path\\ tenänt\r\nX-Injected: 1\t€', {
      scope: 'a"b\\cé',
    });
    const challenge = error.wwwAuthenticate;
    expect(challenge).toBe(
      'Bearer realm="tenantgate", error="invalid_token", error_description="bad quoted path tennt' +
        'X-Injected: 1", scope="abc"',
    );
    // The header value stays a valid, single-line ASCII string.
    expect(challenge).toMatch(/^[\x20-\x7e]+$/);
    expect(challenge.match(/"/g)?.length ?? 0).toBe(8);
    // The message itself is unchanged.
    expect(error.message).toContain('"quoted"');
  });

  it('keeps every character RFC 6750 allows in error_description', () => {
    let allowed = '';
    for (let code = 0x20; code <= 0x7e; code += 1) if (code !== 0x22 && code !== 0x5c) allowed += String.fromCharCode(code);
    expect(new AuthError('invalid_token', allowed).wwwAuthenticate).toBe(
      `Bearer realm="tenantgate", error="invalid_token", error_description="${allowed}"`,
    );
  });
});

describe('ConfigError', () => {
  it('lists every problem in its message', () => {
    const problems = ['`audience` is required.', '`cache.ttl` must be longer than zero.'];
    const error = new ConfigError(problems);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('ERR_TENANTGATE_CONFIG');
    expect(error.message).toBe(
      'Invalid tenantgate options (2 problems):\n  - `audience` is required.\n  - `cache.ttl` must be longer than zero.',
    );
  });

  it('uses the singular for one problem', () => {
    expect(new ConfigError(['`audience` is required.']).message).toBe(
      'Invalid tenantgate options (1 problem):\n  - `audience` is required.',
    );
  });

  it('freezes and copies problems', () => {
    const problems = ['one.', 'two.'];
    const error = new ConfigError(problems);
    problems.push('three.');
    expect(error.problems).toStrictEqual(['one.', 'two.']);
    expect(Object.isFrozen(error.problems)).toBe(true);
    expect(() => (error.problems as string[]).push('x')).toThrow(TypeError);
  });
});

describe('AuthError.headers (the http-errors convention Express reads)', () => {
  it('carries the challenge, and Retry-After on 503 only', () => {
    const expired = new AuthError('token_expired', 'the token has expired');
    expect(expired.headers).toEqual({ 'WWW-Authenticate': expired.wwwAuthenticate });
    const down = new AuthError('issuer_unavailable', 'down');
    expect(down.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="tenantgate"', 'Retry-After': '5' });
  });
});
