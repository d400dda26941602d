import { setMaxListeners } from 'node:events';
import { registerAuthenticateNow, registerRequestNeeds, type AuthenticateNow } from './authenticate-now.js';
import type { AuthResult, Authenticator } from './authenticator-types.js';
import { checkAuthorizeOptions } from '../options/authorize-options.js';
import {
  checkTokenShape,
  isOpaqueToken,
  parseCredentials,
  splitTenants,
  type CredentialRules,
  type Credentials,
  type CredentialsInput,
} from '../credentials/credentials.js';
import { checkScope, checkTenants } from '../policy/decision.js';
import { AuthError, setChallengeSchemes, type ChallengeSchemes } from '../base/errors.js';
import { registerListeners, type AuthEvent, type EventListener } from '../base/events.js';
import { resolveOptions, type AuthenticatorOptions } from '../options/options.js';
import { policyOfView, PolicyResolver, type ResolvedPolicy } from '../policy/policy-resolver.js';
import { refusalReason } from './refusal-reason.js';
import { TokenCache } from '../token/token-cache.js';
import { verifyToken, type VerifiedToken, type VerifyRules } from '../token/verify.js';
import type { IntrospectedToken } from '../token/introspection.js';
import { checkSender } from '../token/sender-constraint.js';
import { tokenEntryOf, type TokenEntry } from './token-entry.js';
import { senderRulesOf } from './sender-rules.js';
import { issuerSetOf, type PolicyNaming } from './issuer-set.js';
import { registerMetadataEndpoint, resourceMetadataOf } from './resource-metadata.js';
import { linkPolicyStore } from './policy-store-link.js';
import { whenReady } from './readiness.js';
import { regexEngine } from '../base/regex-engine.js';

/**
 * Creates an authenticator.
 *
 * @throws {ConfigError} synchronously, listing every problem with `options`
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const resolved = resolveOptions(options);
  // The engine resolveOptions compiled the regexes with; read once, so status() cannot throw.
  const engine = regexEngine().name;
  const listeners = new Set<EventListener>();
  if (resolved.onEvent !== undefined) listeners.add(resolved.onEvent);
  const emit = (event: AuthEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // An observer must not change the outcome of a request.
      }
    }
  };
  const lifetime = new AbortController();
  // Every IdP call in flight listens for close() and stops listening when it settles; with
  // introspection that is one call per new opaque token, so more than Node's default 10.
  setMaxListeners(0, lifetime.signal);
  const { keys: issuers, templates, rules: byIssuer, naming, introspector } = issuerSetOf(resolved, lifetime.signal, emit);
  const rules: CredentialRules = {
    bearer: resolved.credentials.bearer,
    basic: resolved.credentials.basic,
    dpop: resolved.dpop.mode,
    requireTenant: resolved.requireTenant,
    tenantHeader: resolved.tenantHeader,
  };
  const verifyRules: VerifyRules = {
    issuers,
    byIssuer,
    templates,
    audience: resolved.audience,
    algorithms: resolved.algorithms,
    clockToleranceMs: resolved.clockToleranceMs,
    typ: resolved.typ,
  };
  const tokens = new TokenCache<TokenEntry>(resolved.cache);
  const policies = new PolicyResolver({
    store: resolved.accessPolicies,
    cluster: resolved.cluster,
    ttlMs: resolved.cache.ttlMs,
    maxEntries: resolved.cache.maxEntries,
    maxBytes: resolved.cache.maxBytes,
    timeoutMs: resolved.jwks.timeoutMs,
    signal: lifetime.signal,
    emit,
  });
  const storeLink = linkPolicyStore(resolved.accessPolicies, { emit, invalidate: () => policies.invalidate(), signal: lifetime.signal });
  const senderRules = senderRulesOf(resolved, lifetime.signal);
  const toEntry = (verified: VerifiedToken | IntrospectedToken): TokenEntry => {
    // The issuer was picked by `iss` (or is the introspecting one) and verified: it is one of the set.
    const { claim, names } = naming.get('entry' in verified ? verified.entry : verified.issuer) as PolicyNaming;
    return tokenEntryOf(verified, claim, names);
  };
  /** At once when the signature was checked on this thread; a promise otherwise. @throws {AuthError} */
  const verifyEntry = (token: string): TokenEntry | Promise<TokenEntry> => {
    if (introspector !== undefined && isOpaqueToken(token)) return introspector.introspect(token).then(toEntry);
    checkTokenShape(token);
    const verified = verifyToken(token, verifyRules);
    return verified instanceof Promise ? verified.then(toEntry) : toEntry(verified);
  };
  const challenge: ChallengeSchemes = {
    basic: resolved.credentials.basic,
    dpop: resolved.dpop.mode === 'off' ? undefined : { mode: resolved.dpop.mode, algorithms: resolved.dpop.algorithms },
    resourceMetadata: resolved.resourceMetadata?.url,
  };
  const metadata = resourceMetadataOf(resolved);
  let closed = false;

  const refusal = (error: unknown, started: number, used?: Credentials['scheme']): AuthError => {
    const refused =
      error instanceof AuthError ? error : new AuthError('invalid_token', 'the token could not be verified', { cause: error });
    setChallengeSchemes(refused, used === 'dpop' ? { ...challenge, used } : challenge);
    if (listeners.size !== 0) {
      emit({ type: 'rejected', code: refused.code, reason: refusalReason(refused), durationMs: performance.now() - started });
    }
    return refused;
  };

  /** The result for verified credentials whose policy covers their tenants. @throws {AuthError} */
  const accept = (
    credentials: Credentials,
    verified: TokenEntry,
    policy: ResolvedPolicy,
    cached: boolean,
    started: number,
  ): AuthResult => {
    checkTenants(policy, credentials.tenants);
    const { claims } = verified;
    const result: AuthResult = {
      tenant: credentials.tenant,
      tenants: credentials.tenants,
      token: credentials.token,
      claims,
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      policyNames: verified.policyNames,
      accessPolicy: policy.view,
      expiresAt: new Date(verified.expiresAtMs),
    };
    if (listeners.size !== 0) {
      emit({
        type: 'authenticated',
        issuer: verified.issuer,
        tenants: credentials.tenants,
        cached,
        durationMs: performance.now() - started,
      });
    }
    return result;
  };

  /**
   * What a request needs beyond the token cache: verification, or a policy resolution. At once
   * when neither has to wait (a first-seen token checked on this thread, its policy cached).
   * @throws {AuthError} (unwrapped: the caller turns it into a refusal)
   */
  const authenticateFurther = (
    input: CredentialsInput,
    credentials: Credentials,
    known: TokenEntry | undefined,
    started: number,
  ): AuthResult | Promise<AuthResult> => {
    let answer: AuthResult | Promise<AuthResult>;
    if (known !== undefined) {
      answer = withSender(input, credentials, known, true, started);
    } else {
      const { token } = credentials;
      const verified = tokens.verify(token, () => verifyEntry(token));
      answer =
        verified instanceof Promise
          ? verified.then((entry) => withSender(input, credentials, entry, false, started))
          : withSender(input, credentials, verified, false, started);
    }
    return answer instanceof Promise ? settled(answer, started, credentials.scheme) : answer;
  };

  /** {@link withPolicy} once the request is shown to come from the sender the token is bound to. */
  const withSender = (
    input: CredentialsInput,
    credentials: Credentials,
    verified: TokenEntry,
    cached: boolean,
    started: number,
  ): AuthResult | Promise<AuthResult> => {
    if (senderRules !== undefined) {
      const checked = checkSender(credentials, verified, input, senderRules);
      if (checked !== undefined) return checked.then(() => withPolicy(credentials, verified, cached, started));
    }
    return withPolicy(credentials, verified, cached, started);
  };

  /** {@link accept} once the entry's policy is known, resolving it when it is not cached (a promise then). */
  const withPolicy = (
    credentials: Credentials,
    verified: TokenEntry,
    cached: boolean,
    started: number,
  ): AuthResult | Promise<AuthResult> => {
    let policy = verified.policy;
    if (policy === undefined || policy.untilMs <= Date.now()) {
      policy = policies.cached(verified.policyNames);
      if (policy === undefined) {
        return policies.resolve(verified.policyNames).then((resolvedPolicy) => {
          verified.policy = resolvedPolicy;
          return accept(credentials, verified, resolvedPolicy, cached, started);
        });
      }
      verified.policy = policy;
    }
    return accept(credentials, verified, policy, cached, started);
  };

  /** A result that had to wait, its failure turned into a refusal (once). */
  const settled = (pending: Promise<AuthResult>, started: number, used: Credentials['scheme']): Promise<AuthResult> =>
    pending.then(undefined, (error: unknown) => {
      throw refusal(error, started, used);
    });

  /** The result of a cached token at once; a promise for anything that must wait. */
  const answerNow: AuthenticateNow = (input) => {
    const observed = listeners.size !== 0;
    const started = observed ? performance.now() : 0;
    let credentials: Credentials | undefined;
    try {
      if (closed) throw new AuthError('issuer_unavailable', 'the authenticator is closed');
      credentials = parseCredentials(input, rules);
      // One clock read serves every check of a cached token.
      const now = Date.now();
      const verified = tokens.get(credentials.token, now);
      if (observed) emit({ type: 'cache', cache: 'token', hit: verified !== undefined });
      const policy = verified?.policy;
      if (verified === undefined || policy === undefined || policy.untilMs <= now || senderRules !== undefined) {
        return authenticateFurther(input, credentials, verified, started);
      }
      return accept(credentials, verified, policy, true, started);
    } catch (error) {
      throw refusal(error, started, credentials?.scheme);
    }
  };

  const authenticator: Authenticator = {
    tenantHeader: resolved.tenantHeader,

    async ready() {
      try {
        await whenReady(issuers, storeLink);
      } catch (error) {
        throw setChallengeSchemes(error as AuthError, challenge);
      }
    },

    authenticate(input) {
      try {
        const answer = answerNow(input);
        return answer instanceof Promise ? answer : Promise.resolve(answer);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    authorize(result, options = {}) {
      checkAuthorizeOptions(options);
      try {
        const policy = policyOfView(result.accessPolicy);
        checkTenants(policy, options.tenant === undefined ? result.tenants : splitTenants(options.tenant));
        if (options.scope !== undefined) checkScope(policy, options.scope);
      } catch (error) {
        throw setChallengeSchemes(
          error instanceof AuthError ? error : new AuthError('invalid_request', 'the request could not be authorized'),
          challenge,
        );
      }
    },

    protectedResourceMetadata: () => metadata,

    status() {
      const statuses = [...issuers.values()].map((keys) => keys.status());
      return { ready: statuses.every((status) => status.ready), issuers: statuses, regexEngine: engine };
    },

    async close() {
      closed = true;
      lifetime.abort();
      tokens.clear();
      policies.clear();
      introspector?.clear();
    },
  };
  registerListeners(authenticator, listeners);
  registerAuthenticateNow(authenticator, answerNow);
  registerRequestNeeds(authenticator, { certificate: resolved.mtls.mode !== 'off' });
  registerMetadataEndpoint(authenticator, resolved, metadata);
  return authenticator;
}
