import type { AuthResult, Authenticator } from './authenticator-types.js';
import type { CredentialsInput } from '../credentials/credentials.js';

/**
 * `authenticate` without the promise when the answer is already known (a cached token):
 * returns the result, throws the `AuthError`, or returns a promise when it must wait.
 */
export type AuthenticateNow = (input: CredentialsInput) => AuthResult | Promise<AuthResult>;

/**
 * Where an authenticator keeps its {@link AuthenticateNow}. A registered symbol, not a
 * module-level map, so that the CommonJS entry points (each bundled on its own) see it.
 */
const AUTHENTICATE_NOW = Symbol.for('tenantgate.authenticateNow');

/** Registers the synchronous-when-possible authenticate of an authenticator. @internal */
export function registerAuthenticateNow(owner: Authenticator, authenticateNow: AuthenticateNow): void {
  Object.defineProperty(owner, AUTHENTICATE_NOW, { value: authenticateNow, enumerable: false });
}

/**
 * Authenticates without a promise when the authenticator can answer at once; any other
 * {@link Authenticator} (a wrapper, a test double) is asked through `authenticate`.
 * @throws {AuthError} when the answer is a refusal known at once
 * @internal
 */
export function authenticateNow(auth: Authenticator, input: CredentialsInput): AuthResult | Promise<AuthResult> {
  const registered = (auth as { [AUTHENTICATE_NOW]?: AuthenticateNow })[AUTHENTICATE_NOW];
  return registered === undefined ? auth.authenticate(input) : registered(input);
}

/** Which request details beyond the headers an authenticator needs from its adapters. @internal */
export interface RequestNeeds {
  /** The client's TLS certificate (mTLS-bound tokens are on). */
  certificate: boolean;
}

const REQUEST_NEEDS = Symbol.for('tenantgate.requestNeeds');
const NEEDS_NOTHING: RequestNeeds = Object.freeze({ certificate: false });

/** Registers what an authenticator needs from requests. @internal */
export function registerRequestNeeds(owner: Authenticator, needs: RequestNeeds): void {
  Object.defineProperty(owner, REQUEST_NEEDS, { value: Object.freeze({ ...needs }), enumerable: false });
}

/**
 * What `auth` needs from requests; nothing beyond the headers for an authenticator that did
 * not say (a wrapper, a test double).
 * @internal
 */
export function requestNeedsOf(auth: Authenticator): RequestNeeds {
  return (auth as { [REQUEST_NEEDS]?: RequestNeeds })[REQUEST_NEEDS] ?? NEEDS_NOTHING;
}
