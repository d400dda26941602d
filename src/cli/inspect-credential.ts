import { checkTokenShape, isOpaqueToken, parseCredentials, type CredentialRules, type Credentials } from '../credentials/credentials.js';
import type { Check } from './inspect-check.js';

/** Parses without the tenant rule, so that a missing tenant can be explained rather than stop everything. */
const LENIENT: CredentialRules = { bearer: true, basic: true, dpop: 'allowed', requireTenant: false, tenantHeader: undefined };

/**
 * The Authorization header value to inspect: `credential` as given (a JWT or `tenant:jwt` is
 * sent as Bearer), with `tenant` filled in when the credential names none. A credential
 * naming another tenant than `tenant` is a usage problem: which one the user meant is unknown.
 * @internal
 */
export function credentialHeader(credential: string, tenant: string | undefined): { authorization: string } | { problem: string } {
  const value = credential.trim();
  const authorization = /^(bearer|basic) /i.test(value) ? value : `Bearer ${value}`;
  if (tenant === undefined) return { authorization };
  let parsed: Credentials;
  try {
    parsed = parseCredentials({ authorization }, LENIENT);
  } catch {
    // The credentials check says what is wrong with it.
    return { authorization };
  }
  if (parsed.tenant === undefined) {
    const filled = `${tenant}:${parsed.token}`;
    return { authorization: parsed.scheme === 'basic' ? `Basic ${Buffer.from(filled).toString('base64')}` : `Bearer ${filled}` };
  }
  if (parsed.tenant !== tenant) {
    return { problem: `--tenant ${JSON.stringify(tenant)} differs from the tenant ${JSON.stringify(parsed.tenant)} the credential names` };
  }
  return { authorization };
}

/** What the credentials check found; `token` is undefined when there is nothing to check further. @internal */
export interface CredentialsFinding {
  check: Check;
  token: string | undefined;
  tenants: string[];
  /** The token is not a JWS and goes to introspection. */
  opaque: boolean;
}

/**
 * The credentials check, with the service's `requireTenant`. A missing tenant fails it, as
 * the service refuses such a request (400) before it looks at the token; the token is still
 * handed on so that one run of inspect explains the token too.
 * @internal
 */
export function credentialsCheck(authorization: string, requireTenant: boolean, introspects = false): CredentialsFinding {
  const hint = 'pass a JWT, tenant:jwt, or a whole Authorization header value';
  let parsed: Credentials;
  try {
    parsed = parseCredentials({ authorization }, LENIENT);
  } catch (error) {
    return { check: { name: 'credentials', ok: false, detail: messageOf(error), hint }, token: undefined, tenants: [], opaque: false };
  }
  let shapeProblem: string | undefined;
  let opaque = false;
  try {
    // As the service decides: with introspection, a token that is not a JWS is introspected.
    opaque = introspects && isOpaqueToken(parsed.token);
    if (!opaque) checkTokenShape(parsed.token);
  } catch (error) {
    shapeProblem = messageOf(error);
  }
  const token = shapeProblem === undefined ? parsed.token : undefined;
  if (parsed.tenant === undefined && requireTenant) {
    return {
      check: {
        name: 'credentials',
        ok: false,
        detail: `${parsed.scheme}, no tenant: with requireTenant (the default) the service answers 400 invalid_request`,
        hint: 'pass --tenant T (the tenant your clients send), or --no-require-tenant for a service with requireTenant: false',
      },
      token,
      tenants: [],
      opaque,
    };
  }
  if (shapeProblem !== undefined) {
    return { check: { name: 'credentials', ok: false, detail: shapeProblem, hint }, token: undefined, tenants: [], opaque: false };
  }
  return {
    check: { name: 'credentials', ok: true, detail: `${parsed.scheme}, tenant ${parsed.tenant ?? '(none)'}${opaque ? ', an opaque token (introspected)' : ''}` },
    token,
    tenants: parsed.tenants,
    opaque,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
