import type { JWTPayload } from 'jose';
import { IntrospectionRequest } from '../issuer/introspection-request.js';
import type { FetchJsonOptions } from '../issuer/fetch-json.js';
import type { ResolvedIssuer } from '../options/options.js';
import type { Check } from './inspect-check.js';
import { discoveryCheck, type DiscoveryFetch } from './inspect-discovery.js';

/**
 * The introspection steps of `tenantgate inspect` for an opaque token: where the endpoint is
 * (configured, or discovered as the service would), then the call with the service's client.
 * Returns the answer as claims (with the issuer as `iss` when it states none, as the service
 * reads it) when it is active, for the claim and policy checks that follow.
 * @internal
 */
export async function introspectionChecks(
  token: string,
  settings: ResolvedIssuer,
  options: DiscoveryFetch,
  add: (check: Check) => void,
): Promise<JWTPayload | undefined> {
  const introspection = settings.introspection;
  if (introspection === undefined) return undefined;
  let endpoint = introspection.endpoint;
  if (endpoint === undefined) {
    const discovery = await discoveryCheck(settings.issuer, options);
    add(discovery.check);
    endpoint = discovery.introspectionEndpoint;
    if (discovery.check.ok && endpoint === undefined) {
      add({ name: 'introspection', ok: false, detail: 'the discovery document publishes no usable introspection_endpoint', hint: 'set introspection.endpoint' });
    }
  } else {
    add({ name: 'discovery', ok: true, detail: `not used: introspection.endpoint ${endpoint} is configured` });
  }
  if (endpoint === undefined) return undefined;
  const fetchOptions: FetchJsonOptions = { fetch: options.fetch, timeoutMs: options.timeoutMs, signal: new AbortController().signal };
  let answer: unknown;
  try {
    answer = await new IntrospectionRequest(introspection).send(endpoint, token, fetchOptions);
  } catch (error) {
    const hint = 'the service answers 503 issuer_unavailable; check introspection.clientId and its secret or key';
    add({ name: 'introspection', ok: false, detail: error instanceof Error ? error.message : String(error), hint });
    return undefined;
  }
  const record = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : {};
  const members = Object.keys(record).filter((name) => name !== 'active');
  const active = record.active === true;
  add({
    name: 'introspection',
    ok: active,
    detail: `${endpoint}: active ${JSON.stringify(record.active ?? null)}${members.length ? `, members ${members.join(', ')}` : ''}`,
    hint: active ? undefined : 'the issuer does not know this token, or it expired or was revoked',
  });
  if (!active) return undefined;
  if (record.iss !== undefined) {
    add({ name: 'iss', ok: record.iss === settings.issuer, detail: `answer ${JSON.stringify(record.iss)}, expected ${JSON.stringify(settings.issuer)}` });
  }
  return { ...record, iss: record.iss ?? settings.issuer } as JWTPayload;
}
