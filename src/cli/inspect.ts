import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { AccessPolicyStore } from '../policy/access-policy.js';
import { claimStrings, lookupClaim } from '../policy/claims.js';
import { fetchJson } from '../issuer/fetch-json.js';
import type { Check, Inspection } from './inspect-check.js';
import { credentialsCheck } from './inspect-credential.js';
import { senderChecks, type SenderInput } from './inspect-sender.js';
import { discoveryCheck } from './inspect-discovery.js';
import { introspectionChecks } from './inspect-introspection.js';
import { PolicyProbe, verdict } from './inspect-verdict.js';
import { keyFits, toVerificationKey, type VerificationKey } from '../issuer/jwk.js';
import { jwsAlgorithm } from '../issuer/jws-algorithms.js';
import { signatureValid } from '../token/signature.js';
import { goLowercase } from '../policy/lowercase.js';
import { captureOf } from '../policy/policy-names.js';
import { resolveOptions, type AuthenticatorOptions, type ResolvedIssuer } from '../options/options.js';

export type { Check, Inspection } from './inspect-check.js';

/** What to inspect. @internal */
export interface InspectInput {
  options: Omit<AuthenticatorOptions, 'accessPolicies'>;
  /** The service's policies; without them the policy and tenant decision is not checked. */
  policies: AccessPolicyStore | undefined;
  /** The whole Authorization header value (see `credentialHeader`). */
  authorization: string;
  /** A scope to check with `authorize`, as a route requiring it would. */
  scope: string | undefined;
  /** A DPoP proof with its request, a client certificate. */
  sender?: SenderInput;
}

/**
 * Runs every check `authenticate` runs, one by one, explaining each; the verdict comes
 * from a real `authenticate` with the same options.
 * Throws ConfigError for bad options.
 * @internal
 */
export async function inspect(input: InspectInput): Promise<Inspection> {
  let probe: PolicyProbe | undefined;
  let accessPolicies: AccessPolicyStore;
  if (input.policies === undefined) {
    probe = new PolicyProbe();
    accessPolicies = probe.store;
  } else {
    accessPolicies = input.policies;
  }
  const options: AuthenticatorOptions = { ...input.options, accessPolicies };
  const resolved = resolveOptions(options);
  const checks: Check[] = [];
  const add = (check: Check) => checks.push(check);
  const introspecting = resolved.issuerSettings.find((entry) => entry.introspection !== undefined);
  const credentials = credentialsCheck(input.authorization, resolved.requireTenant, introspecting !== undefined);
  const { token, tenants } = credentials;
  const sender = input.sender ?? {};
  const finish = () => verdict({ options, authorization: input.authorization, scope: input.scope, probe, tenants, sender }, checks);
  add(credentials.check);
  if (token === undefined) return finish();
  if (credentials.opaque && introspecting !== undefined) {
    const discoveryFetch = { fetch: resolved.fetch, timeoutMs: resolved.jwks.timeoutMs, allowInsecureHttp: resolved.allowInsecureHttp };
    const answer = await introspectionChecks(token, introspecting, discoveryFetch, add);
    if (answer !== undefined) {
      timeChecks(answer, introspecting, add);
      senderChecks(token, answer, sender, introspecting.clockToleranceMs, add);
      policyChecks(answer, introspecting, resolved.accessPolicies, input.policies !== undefined, tenants, add);
    }
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
  // The token's own issuer entry when it names a trusted one: its keys, rules and mapping.
  const settings = resolved.issuerSettings.find((entry) => entry.issuer === payload.iss) ?? (resolved.issuerSettings[0] as ResolvedIssuer);
  const { issuer } = settings;
  add({
    name: 'iss',
    ok: resolved.issuers.includes(String(payload.iss)),
    detail: `token ${JSON.stringify(payload.iss)}, trusted ${resolved.issuers.map((value) => JSON.stringify(value)).join(', ')}`,
    hint: 'the strings must be equal, trailing slash and case included',
  });

  const fetchOptions = { fetch: resolved.fetch, timeoutMs: resolved.jwks.timeoutMs, signal: new AbortController().signal };
  let jwksUri = settings.jwksUri;
  if (jwksUri === undefined) {
    const discovery = await discoveryCheck(issuer, { ...fetchOptions, allowInsecureHttp: resolved.allowInsecureHttp });
    add(discovery.check);
    jwksUri = discovery.jwksUri;
  } else {
    add({ name: 'discovery', ok: true, detail: `not used: jwksUri ${jwksUri} is configured` });
  }
  if (jwksUri === undefined) return finish();
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
  add({ name: 'algorithm', ok: (settings.algorithms as string[]).includes(alg), detail: `${alg || '(none)'}; allowed ${settings.algorithms.join(', ')}` });
  const candidates = keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && keyFits(key, alg));
  // The same check as the authenticator's: node:crypto with the algorithm table's rules.
  const algorithm = jwsAlgorithm(alg);
  const lastDot = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, lastDot));
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const signatureOk =
    algorithm !== undefined && candidates.some((key) => signatureValid(algorithm, key, signingInput, signature));
  add({ name: 'signature', ok: signatureOk, detail: signatureOk ? 'valid' : `no matching key verifies it (${candidates.length} tried)` });
  timeChecks(payload, settings, add);
  senderChecks(token, payload, sender, settings.clockToleranceMs, add);
  policyChecks(payload, settings, resolved.accessPolicies, input.policies !== undefined, tenants, add);
  return finish();
}

function timeChecks(payload: JWTPayload, settings: ResolvedIssuer, add: (check: Check) => void): void {
  const { audience, audienceClaim, clockToleranceMs: toleranceMs } = settings;
  const given = payload[audienceClaim];
  const audiences = [given].flat().filter((value) => value !== undefined);
  add({
    name: 'aud',
    ok: audience === false || audiences.some((value) => audience.includes(String(value))),
    detail: `token ${audienceClaim} ${JSON.stringify(given ?? null)}, expected ${audience === false ? '(not checked)' : JSON.stringify(audience)}`,
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
  resolved: Pick<ResolvedIssuer, 'accessPolicyClaim' | 'accessPolicyRegex'>,
  store: ReturnType<typeof resolveOptions>['accessPolicies'],
  given: boolean,
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
  if (!given) {
    const hint = 'pass --policies FILE (a JSON record of access policies) to check them';
    add({ name: 'policies', ok: null, detail: 'not checked: no --policies given', hint });
    for (const tenant of tenants) add({ name: 'tenant', ok: null, detail: `${tenant}: not checked without policies` });
  } else if (typeof store !== 'function') {
    const known = [...names].filter((name) => Object.hasOwn(store, name));
    add({ name: 'policies', ok: known.length > 0, detail: `found ${known.join(', ') || 'none'} of ${[...names].join(', ') || 'none'}` });
    const covered = (tenant: string) => known.some((name) => store[name]?.realms.some((realm) => realm.tenant === tenant || realm.tenant === '*'));
    for (const tenant of tenants) add({ name: 'tenant', ok: covered(tenant), detail: `${tenant} ${covered(tenant) ? 'is' : 'is not'} covered` });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
