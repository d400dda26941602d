/**
 * Prometheus metrics for an authenticator, with prom-client (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { collectMetrics } from 'tenantgate/prometheus';
 * import { register } from 'prom-client';
 *
 * collectMetrics(auth);          // into prom-client's default registry
 * app.get('/internal/metrics', async (_req, res) => res.type('text/plain').send(await register.metrics()));
 * ```
 * @packageDocumentation
 */
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import type { Authenticator } from './authenticator/authenticator-types.js';
import { subscribe, type AuthEvent } from './base/events.js';
import { z } from 'zod';
import { ConfigError } from './base/errors.js';
import { describeProblems, type OptionVocabulary } from './base/problem-sentences.js';

/** Options of {@link collectMetrics}. */
export interface CollectMetricsOptions {
  /** Where the metrics are registered. Default prom-client's default registry. */
  registry?: Registry;
  /** Buckets of `tenantgate_authenticate_duration_seconds`, in seconds. */
  buckets?: number[];
}

/** What {@link collectMetrics} returns. */
export interface TenantgateMetrics {
  /** The registry holding the metrics. */
  registry: Registry;
  /** Stops counting and removes the metrics from the registry. */
  stop(): void;
}

const NAMES = {
  authentications: 'tenantgate_authentications_total',
  duration: 'tenantgate_authenticate_duration_seconds',
  jwksRefreshes: 'tenantgate_jwks_refreshes_total',
  discoveries: 'tenantgate_discovery_requests_total',
  jwksAge: 'tenantgate_jwks_age_seconds',
  jwksKeys: 'tenantgate_jwks_keys',
  issuerReady: 'tenantgate_issuer_ready',
  stale: 'tenantgate_jwks_stale_served_total',
  skipped: 'tenantgate_jwks_keys_skipped_total',
  cache: 'tenantgate_cache_requests_total',
  policyReloads: 'tenantgate_policy_store_reloads_total',
  policies: 'tenantgate_policy_store_policies',
  introspections: 'tenantgate_introspection_requests_total',
} as const;

const schema = z.strictObject({
  registry: z
    .custom<object>(
      (value) => typeof value === 'object' && value !== null && typeof (value as { registerMetric?: unknown }).registerMetric === 'function',
      { message: "must be a prom-client Registry (such as prom-client's `register`)" },
    )
    .optional(),
  buckets: z
    .array(z.number().positive().finite())
    .min(1)
    .refine((buckets) => buckets.every((bucket, index) => index === 0 || bucket > (buckets[index - 1] ?? 0)), 'must be in increasing order')
    .optional(),
});

const VOCABULARY: OptionVocabulary = {
  whole: 'The options of collectMetrics()',
  quoteValues: true,
  expected: {
    '': 'an object such as { registry }',
    registry: "a prom-client Registry (such as prom-client's `register`)",
    buckets: 'a non-empty list of positive numbers of seconds, such as [0.001, 0.01, 0.1, 1]',
    'buckets[]': 'a positive number of seconds',
  },
  keys: { '': ['registry', 'buckets'] },
};

/**
 * Checks the options of `collectMetrics` (`tenantgate/prometheus`) when it is called: a
 * misspelt `registy` would quietly register the metrics in prom-client's default registry,
 * where a service exposing its own registry never shows them.
 * @throws {ConfigError} listing every problem
 */
function checkMetricsOptions(options: unknown): void {
  const parsed = schema.safeParse(options, { reportInput: true });
  if (!parsed.success) throw new ConfigError(describeProblems(parsed.error.issues, VOCABULARY));
}

/**
 * Registers tenantgate's metrics for `auth` and keeps them current: outcomes by code,
 * `authenticate` latency, discovery and JWKS refresh results, key age and count per
 * issuer, cache hits and misses, requests served with stale keys, policy file reloads, and
 * token introspection calls.
 *
 * @throws {ConfigError} for an unknown or mistyped option
 */
export function collectMetrics(auth: Authenticator, options: CollectMetricsOptions = {}): TenantgateMetrics {
  checkMetricsOptions(options);
  const registry = options.registry ?? defaultRegistry;
  const registers = [registry];
  const authentications = new Counter({
    name: NAMES.authentications,
    help: 'Requests authenticated, by result (accepted, rejected) and code (ok, or the AuthError code).',
    labelNames: ['result', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: NAMES.duration,
    help: 'Time spent in authenticate, by result.',
    labelNames: ['result'] as const,
    buckets: options.buckets ?? [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const jwksRefreshes = new Counter({
    name: NAMES.jwksRefreshes,
    help: 'JWKS fetches, by issuer and result (success, failure).',
    labelNames: ['issuer', 'result'] as const,
    registers,
  });
  const discoveries = new Counter({
    name: NAMES.discoveries,
    help: 'OIDC discovery fetches, by issuer and result (success, failure).',
    labelNames: ['issuer', 'result'] as const,
    registers,
  });
  const stale = new Counter({
    name: NAMES.stale,
    help: 'Requests verified with keys past jwks.maxAge because refreshing them failed.',
    labelNames: ['issuer'] as const,
    registers,
  });
  const skipped = new Counter({
    name: NAMES.skipped,
    help: 'JWKS keys ignored, by issuer and reason.',
    labelNames: ['issuer', 'reason'] as const,
    registers,
  });
  const cache = new Counter({
    name: NAMES.cache,
    help: 'Cache lookups, by cache (token, policy) and result (hit, miss).',
    labelNames: ['cache', 'result'] as const,
    registers,
  });
  const policyReloads = new Counter({
    name: NAMES.policyReloads,
    help: 'Policy file loads, by path and result (success, failure); a failure keeps the last good policies.',
    labelNames: ['path', 'result'] as const,
    registers,
  });
  const policyCount = new Gauge({
    name: NAMES.policies,
    help: 'Policies in force from each policy file, by path.',
    labelNames: ['path'] as const,
    registers,
  });
  const introspections = new Counter({
    name: NAMES.introspections,
    help: 'Opaque tokens introspected, by issuer and result (active, inactive, failure).',
    labelNames: ['issuer', 'result'] as const,
    registers,
  });
  const perIssuer = (name: string, help: string, pick: (status: ReturnType<Authenticator['status']>['issuers'][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['issuer'] as const,
      registers,
      collect() {
        this.reset();
        for (const status of auth.status().issuers) {
          const value = pick(status);
          if (value !== undefined) this.set({ issuer: status.issuer }, value);
        }
      },
    });
  perIssuer(NAMES.jwksAge, 'Age of the JWKS held, in seconds, per issuer.', (status) =>
    status.ageMs === undefined ? undefined : status.ageMs / 1000,
  );
  perIssuer(NAMES.jwksKeys, 'Usable keys held, per issuer.', (status) => status.keys);
  perIssuer(NAMES.issuerReady, '1 when tokens of the issuer can be verified now, else 0.', (status) => (status.ready ? 1 : 0));

  const onEvent = (event: AuthEvent): void => {
    switch (event.type) {
      case 'authenticated':
        authentications.inc({ result: 'accepted', code: 'ok' });
        duration.observe({ result: 'accepted' }, event.durationMs / 1000);
        break;
      case 'rejected':
        authentications.inc({ result: 'rejected', code: event.code });
        duration.observe({ result: 'rejected' }, event.durationMs / 1000);
        break;
      case 'jwks_refresh':
        jwksRefreshes.inc({ issuer: event.issuer, result: event.ok ? 'success' : 'failure' });
        break;
      case 'discovery':
        discoveries.inc({ issuer: event.issuer, result: event.ok ? 'success' : 'failure' });
        break;
      case 'jwks_stale':
        stale.inc({ issuer: event.issuer });
        break;
      case 'key_skipped':
        skipped.inc({ issuer: event.issuer, reason: event.reason });
        break;
      case 'cache':
        cache.inc({ cache: event.cache, result: event.hit ? 'hit' : 'miss' });
        break;
      case 'policy_store_reloaded':
        policyReloads.inc({ path: event.path, result: 'success' });
        policyCount.set({ path: event.path }, event.policies);
        break;
      case 'policy_store_error':
        policyReloads.inc({ path: event.path, result: 'failure' });
        break;
      case 'introspection':
        introspections.inc({ issuer: event.issuer, result: !event.ok ? 'failure' : event.active ? 'active' : 'inactive' });
        break;
    }
  };
  const unsubscribe = subscribe(auth, onEvent);
  return {
    registry,
    stop() {
      unsubscribe();
      for (const name of Object.values(NAMES)) registry.removeSingleMetric(name);
    },
  };
}
