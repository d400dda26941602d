import type { NamedAccessPolicy } from '../policy/access-policy.js';
import { createAuthenticator } from '../authenticator/authenticator.js';
import type { AuthResult } from '../authenticator/authenticator-types.js';
import { AuthError } from '../base/errors.js';
import type { Check, Inspection } from './inspect-check.js';
import type { SenderInput } from './inspect-sender.js';
import type { AuthenticatorOptions } from '../options/options.js';

/**
 * A policy store that knows no policy and remembers the names it was asked for. The
 * authenticator asks a store only once every check before the policy decision has passed,
 * so being asked is proof of exactly that, without inventing a policy that could turn
 * into an "accepted".
 * @internal
 */
export class PolicyProbe {
  #asked: string[] | undefined;

  readonly store = async (names: string[]): Promise<NamedAccessPolicy[]> => {
    this.#asked = [...names];
    return [];
  };

  /** The names the authenticator asked for, or `undefined` when it never got that far. */
  get asked(): string[] | undefined {
    return this.#asked;
  }
}

/** What the verdict is about. @internal */
export interface VerdictInput {
  options: AuthenticatorOptions;
  authorization: string;
  scope: string | undefined;
  /** The probe standing in for the policies, when none were given. */
  probe: PolicyProbe | undefined;
  /** The tenants the credential names, for the "not checked" text. */
  tenants: string[];
  /** A DPoP proof and client certificate, sent along as a client would. */
  sender: SenderInput;
}

/**
 * The verdict of a real `authenticate` (and `authorize` for a scope) with the service's
 * options. "accepted" only when every check the service makes was made: with no policies
 * or no tenant, the verdict is "incomplete" and says what was not checked.
 * @internal
 */
export async function verdict(input: VerdictInput, checks: Check[]): Promise<Inspection> {
  const { dpop, certificate } = input.sender;
  // Judged as by a service that honours bindings: a token bound to a DPoP key or a certificate
  // needs its proof or certificate; an unbound token is judged as before.
  const auth = createAuthenticator({ ...input.options, dpop: { mode: 'allowed' }, mtls: { mode: 'allowed' } });
  let result: AuthResult;
  try {
    result = await auth.authenticate({
      authorization: dpop === undefined ? input.authorization : input.authorization.replace(/^Bearer /, 'DPoP '),
      dpop: dpop?.proof,
      method: dpop?.method,
      url: dpop?.url,
      clientCertificate: certificate,
    });
    if (input.scope !== undefined) {
      auth.authorize(result, { scope: input.scope });
      checks.push({ name: 'scope', ok: true, detail: `policy ${result.accessPolicy.name} grants ${input.scope}` });
    }
  } catch (error) {
    const refusal = error instanceof AuthError ? error : new AuthError('invalid_token', String(error));
    const asked = input.probe?.asked;
    if (asked !== undefined && refusal.code === 'policy_not_found') {
      return incomplete(checks, [notCheckedPolicies(asked, input)]);
    }
    if (refusal.code === 'insufficient_scope') checks.push({ name: 'scope', ok: false, detail: refusal.message });
    checks.push({ name: 'verdict', ok: false, detail: `rejected: ${refusal.status} ${refusal.code}: ${refusal.message}` });
    return { verdict: 'rejected', accepted: false, code: refusal.code, notChecked: [], checks };
  } finally {
    await auth.close();
  }
  const policy = result.accessPolicy;
  if (result.tenants.length === 0) {
    return incomplete(checks, [
      `tenant: none was given, so policy ${policy.name} was not checked against one; pass --tenant T, the tenant your clients send`,
    ]);
  }
  // authenticate checks no scope; a route may, so the granted scopes are shown for the reader to compare.
  const scopeNote = input.scope === undefined ? '; a route that requires a scope needs it among these (--scope S checks one)' : '';
  const summary = `policy ${policy.name} (${policy.scopes.join(' ') || 'no scopes'}) on ${result.tenants.join(', ')}`;
  checks.push({ name: 'verdict', ok: true, detail: `accepted: ${summary}${scopeNote}` });
  return { verdict: 'accepted', accepted: true, notChecked: [], checks };
}

function notCheckedPolicies(names: string[], input: VerdictInput): string {
  const tenants = input.tenants.length === 0 ? '' : `, covers tenant ${input.tenants.join(', ')}`;
  const scope = input.scope === undefined ? '' : ` and grants ${input.scope}`;
  const tenantNote = input.tenants.length === 0 ? '; and no tenant was given either' : '';
  return `access policies: no --policies given, so it was not checked that a policy named ${names.join(' or ')} exists${tenants}${scope}${tenantNote}`;
}

function incomplete(checks: Check[], notChecked: string[]): Inspection {
  checks.push({
    name: 'verdict',
    ok: null,
    detail: 'not decided: the token passed every check that was made, but not every check the service makes could be made',
  });
  return { verdict: 'incomplete', accepted: false, notChecked, checks };
}
