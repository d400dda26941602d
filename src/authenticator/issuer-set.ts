import type { AuthEvent } from '../base/events.js';
import { IssuerKeys } from '../issuer/issuer-keys.js';
import type { ResolvedOptions } from '../options/options.js';
import { PolicyNameMemo } from '../policy/policy-names.js';
import type { IssuerTemplate } from '../issuer/issuer-template.js';
import type { IssuerRules } from '../token/verify.js';
import { IntrospectionRequest } from '../issuer/introspection-request.js';
import { Introspector } from '../token/introspection.js';

/** How one issuer's tokens name their policies: its claim, and its regex with a memo. @internal */
export interface PolicyNaming {
  claim: string;
  names: PolicyNameMemo;
}

/** Every trusted issuer of an authenticator: its key cache, its token rules and its policy naming. @internal */
export interface IssuerSet {
  /** By issuer URL, or by template for a templated issuer: one key cache for all its tenants. */
  keys: Map<string, IssuerKeys>;
  templates: IssuerTemplate[];
  rules: Map<string, IssuerRules>;
  naming: Map<string, PolicyNaming>;
  /** The one issuer whose opaque tokens are introspected, when one is configured for it. */
  introspector: Introspector | undefined;
}

/**
 * One key cache per trusted issuer (discovery, or the `jwksUri` given), with that issuer's own
 * rules and policy naming, so that a token of one issuer is never checked with another's keys,
 * audience or regex: all three are picked by the same unverified `iss`.
 * @internal
 */
export function issuerSetOf(resolved: ResolvedOptions, signal: AbortSignal, emit: (event: AuthEvent) => void): IssuerSet {
  const set: IssuerSet = { keys: new Map(), templates: [], rules: new Map(), naming: new Map(), introspector: undefined };
  for (const settings of resolved.issuerSettings) {
    const { issuer } = settings;
    set.keys.set(
      issuer,
      new IssuerKeys({
        issuer,
        jwksUri: settings.jwksUri,
        discoveryUrl: settings.discoveryUrl,
        fetch: resolved.fetch,
        timeoutMs: resolved.jwks.timeoutMs,
        cooldownMs: resolved.jwks.cooldownMs,
        maxAgeMs: resolved.jwks.maxAgeMs,
        maxStaleMs: resolved.jwks.maxStaleMs,
        allowInsecureHttp: resolved.allowInsecureHttp,
        signal,
        emit,
      }),
    );
    set.rules.set(issuer, {
      audience: settings.audience,
      audienceClaim: settings.audienceClaim,
      algorithms: settings.algorithms,
      clockToleranceMs: settings.clockToleranceMs,
      typ: settings.typ,
      template: settings.template,
    });
    if (settings.template !== undefined) set.templates.push(settings.template);
    set.naming.set(issuer, { claim: settings.accessPolicyClaim, names: new PolicyNameMemo(settings.accessPolicyRegex) });
    const { introspection } = settings;
    if (introspection !== undefined) {
      set.introspector = new Introspector({
        issuer,
        keys: set.keys.get(issuer) as IssuerKeys,
        endpoint: introspection.endpoint,
        request: new IntrospectionRequest(introspection),
        fetch: { fetch: resolved.fetch, timeoutMs: resolved.jwks.timeoutMs, signal },
        audience: settings.audience,
        audienceClaim: settings.audienceClaim,
        clockToleranceMs: settings.clockToleranceMs,
        cacheTtlMs: introspection.cacheTtlMs,
        requireExp: introspection.requireExp,
        emit,
      });
    }
  }
  return set;
}
