import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { createAuthenticator } from './authenticator.js';
import { claimStrings, lookupClaim } from './claims.js';
import { checkTokenShape, parseCredentials } from './credentials.js';
import { AuthError } from './errors.js';
import { fetchJson } from './fetch-json.js';
import { discover, discoveryUrl } from './issuer.js';
import { cryptoKeyFor, keyFits, toVerificationKey, type VerificationKey } from './jwk.js';
import { goLowercase } from './lowercase.js';
import { captureOf } from './policy-names.js';
import { resolveOptions, type AuthenticatorOptions } from './options.js';

/** One check of `tenantgate inspect`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/** The verdict of `tenantgate inspect`. */
export interface Inspection {
  accepted: boolean;
  /** The code of the refusal, when refused. */
  code?: string;
  checks: Check[];
}

/** What to inspect. @internal */
export interface InspectInput {
  options: AuthenticatorOptions;
  /** A compact JWT, `tenant:jwt`, or a whole `Bearer ...`/`Basic ...` header value. */
  credential: string;
  tenant: string | undefined;
}

/**
 * Runs every check `authenticate` runs, one by one, explaining each; the verdict comes
 * from a real `authenticate` (and the scope-free tenant check) with the same options.
 * Throws ConfigError for bad options.
 * @internal
 */
export async function inspect(input: InspectInput): Promise<Inspection> {
  const resolved = resolveOptions(input.options);
  const checks: Check[] = [];
  const add = (check: Check) => checks.push(check);
  const authorization = toAuthorization(input.credential.trim(), input.tenant);
  const finish = async (): Promise<Inspection> => {
    const auth = createAuthenticator({ ...input.options, requireTenant: false });
    try {
      const result = await auth.authenticate({ authorization });
      add({ name: 'verdict', ok: true, detail: `accepted: policy ${result.accessPolicy.name} on ${result.tenants.join(', ') || '(no tenant)'}` });
      return { accepted: true, checks };
    } catch (error) {
      const refusal = error instanceof AuthError ? error : new AuthError('invalid_token', String(error));
      add({ name: 'verdict', ok: false, detail: `rejected: ${refusal.status} ${refusal.code}: ${refusal.message}` });
      return { accepted: false, code: refusal.code, checks };
    } finally {
      await auth.close();
    }
  };

  let token: string;
  let tenants: string[];
  try {
    const credentials = parseCredentials({ authorization }, { bearer: true, basic: true, requireTenant: false, tenantHeader: undefined });
    checkTokenShape(credentials.token);
    token = credentials.token;
    tenants = credentials.tenants;
    add({ name: 'credentials', ok: true, detail: `${credentials.scheme}, tenant ${credentials.tenant ?? '(none)'}` });
  } catch (error) {
    add({ name: 'credentials', ok: false, detail: messageOf(error), hint: 'pass a JWT, tenant:jwt, or a whole Authorization header value' });
    return finish();
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch (error) {
    add({ name: 'decode', ok: false, detail: `the token does not decode: ${messageOf(error)}` });
    return finish();
  }
  const issuer = typeof payload.iss === 'string' && resolved.issuers.includes(payload.iss) ? payload.iss : resolved.issuers[0] ?? '';
  add({
    name: 'iss',
    ok: resolved.issuers.includes(String(payload.iss)),
    detail: `token ${JSON.stringify(payload.iss)}, trusted ${resolved.issuers.map((value) => JSON.stringify(value)).join(', ')}`,
    hint: 'the strings must be equal, trailing slash and case included',
  });

  const fetchOptions = { fetch: resolved.fetch, timeoutMs: resolved.jwks.timeoutMs, signal: new AbortController().signal };
  let jwksUri: string;
  try {
    ({ jwksUri } = await discover(issuer, { ...fetchOptions, allowInsecureHttp: resolved.allowInsecureHttp }));
    add({ name: 'discovery', ok: true, detail: `${discoveryUrl(issuer)} names issuer ${JSON.stringify(issuer)}` });
  } catch (error) {
    add({ name: 'discovery', ok: false, detail: messageOf(error), hint: 'check --issuer: it must be exactly the discovery document\'s "issuer"' });
    return finish();
  }
  let keys: VerificationKey[];
  try {
    const body = (await fetchJson(jwksUri, fetchOptions)) as { keys?: unknown[] };
    const entries = Array.isArray(body.keys) ? body.keys : [];
    keys = entries.map(toVerificationKey).filter((key): key is VerificationKey => typeof key !== 'string');
    const skipped = entries.map(toVerificationKey).filter((key): key is string => typeof key === 'string');
    const kids = keys.map((key) => key.kid ?? '(no kid)').join(', ');
    const found = header.kid === undefined || keys.some((key) => key.kid === header.kid);
    add({
      name: 'jwks',
      ok: found && keys.length > 0,
      detail: `${jwksUri}: ${keys.length} usable key(s) [${kids}]${skipped.length ? `, skipped: ${skipped.join('; ')}` : ''}; token kid ${JSON.stringify(header.kid ?? null)}`,
      hint: found ? undefined : 'the token was signed with a key the issuer no longer (or not yet) publishes',
    });
  } catch (error) {
    add({ name: 'jwks', ok: false, detail: messageOf(error) });
    return finish();
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  add({ name: 'algorithm', ok: (resolved.algorithms as string[]).includes(alg), detail: `${alg || '(none)'}; allowed ${resolved.algorithms.join(', ')}` });
  const candidates = keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && keyFits(key, alg));
  let signatureOk = false;
  for (const key of candidates) {
    try {
      await compactVerify(token, await cryptoKeyFor(key, alg));
      signatureOk = true;
      break;
    } catch {
      // try the next key
    }
  }
  add({ name: 'signature', ok: signatureOk, detail: signatureOk ? 'valid' : `no matching key verifies it (${candidates.length} tried)` });
  timeChecks(payload, resolved.clockToleranceMs, resolved.audience, add);
  policyChecks(payload, resolved, tenants, add);
  return finish();
}

function timeChecks(payload: JWTPayload, toleranceMs: number, audience: string[] | false, add: (check: Check) => void): void {
  const audiences = [payload.aud].flat().filter((value) => value !== undefined);
  add({
    name: 'aud',
    ok: audience === false || audiences.some((value) => audience.includes(String(value))),
    detail: `token ${JSON.stringify(payload.aud ?? null)}, expected ${audience === false ? '(not checked)' : JSON.stringify(audience)}`,
  });
  const now = Date.now() / 1000;
  const tolerance = toleranceMs / 1000;
  const at = (seconds: number) => `${new Date(seconds * 1000).toISOString()} (${Math.round(seconds - now)} s from now)`;
  const exp = payload.exp;
  add({
    name: 'exp',
    ok: typeof exp === 'number' && Number.isFinite(exp) && exp > now - tolerance,
    detail: typeof exp === 'number' ? at(exp) : 'missing or not a number',
    hint: `clock tolerance ${tolerance} s`,
  });
  if (payload.nbf !== undefined) add({ name: 'nbf', ok: payload.nbf <= now + tolerance, detail: at(payload.nbf) });
  if (payload.iat !== undefined) add({ name: 'iat', ok: payload.iat <= now + tolerance, detail: at(payload.iat), hint: 'a future iat means the clocks disagree' });
}

function policyChecks(
  payload: JWTPayload,
  resolved: ReturnType<typeof resolveOptions>,
  tenants: string[],
  add: (check: Check) => void,
): void {
  const values = claimStrings(lookupClaim(payload, resolved.accessPolicyClaim));
  add({
    name: 'claim',
    ok: values !== undefined && values.length > 0,
    detail: values === undefined ? `no ${resolved.accessPolicyClaim} claim holding a string or list of strings` : `${resolved.accessPolicyClaim}: ${values.length} value(s)`,
  });
  const names = new Set<string>();
  for (const value of values ?? []) {
    const group = captureOf(value, resolved.accessPolicyRegex);
    add({
      name: 'regex',
      ok: Boolean(group),
      detail: `${JSON.stringify(value)} -> ${group ? JSON.stringify(group) : 'no capture'}`,
      hint: group ? undefined : `the regex ${resolved.accessPolicyRegex.source} is unanchored; group 1 must match something`,
    });
    if (group) names.add(goLowercase(group));
  }
  add({ name: 'names', ok: names.size > 0, detail: [...names].join(', ') || '(none)' });
  const store = resolved.accessPolicies;
  if (typeof store !== 'function') {
    const known = [...names].filter((name) => Object.hasOwn(store, name));
    add({ name: 'policies', ok: known.length > 0, detail: `found ${known.join(', ') || 'none'} of ${[...names].join(', ') || 'none'}` });
    const covered = (tenant: string) => known.some((name) => store[name]?.realms.some((realm) => realm.tenant === tenant || realm.tenant === '*'));
    for (const tenant of tenants) add({ name: 'tenant', ok: covered(tenant), detail: `${tenant} ${covered(tenant) ? 'is' : 'is not'} covered` });
  }
}

function toAuthorization(credential: string, tenant: string | undefined): string {
  if (/^(bearer|basic) /i.test(credential)) return credential;
  if (credential.includes(':')) return `Bearer ${credential}`;
  return tenant === undefined ? `Bearer ${credential}` : `Bearer ${tenant}:${credential}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
