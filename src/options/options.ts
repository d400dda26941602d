import type { CompiledRegex } from '../base/regex-engine.js';
import { z } from 'zod';
import {
  accessPolicySchema,
  type AccessPolicy,
  type AccessPolicyStore,
  type NamedAccessPolicy,
} from '../policy/access-policy.js';
import type { Duration } from '../base/duration.js';
import { duration } from './duration-option.js';
import { ConfigError } from '../base/errors.js';
import type { EventListener } from '../base/events.js';
import { goLowercase } from '../policy/lowercase.js';
import { describeProblems } from '../base/problem-sentences.js';
import { AUTHENTICATOR_OPTIONS } from './option-vocabulary.js';
import { urlProblem } from '../issuer/url-rules.js';
import { regexSchema } from './regex-option.js';
import { issuerEntrySchema, missingIssuerSettings, resolveIssuerEntries, type IssuerOptions, type ResolvedIssuer } from './issuer-options.js';
import { algorithmSchema, DEFAULT_ALGORITHMS, type Algorithm } from './algorithm-option.js';
import { introspectionSchema, type IntrospectionOptions } from './introspection-option.js';
import { dpopSchema, mtlsSchema, type DpopOptions, type MtlsOptions, type ResolvedDpop } from './sender-constraint-options.js';
import { resolveResourceMetadata, resourceMetadataProblems, resourceMetadataSchema, type ResolvedResourceMetadata, type ResourceMetadataOptions } from './resource-metadata-option.js';

export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, type Algorithm } from './algorithm-option.js';
export type { DpopOptions, MtlsOptions } from './sender-constraint-options.js';
export type { ResourceMetadataOptions } from './resource-metadata-option.js';
export type { IssuerOptions, ResolvedIssuer } from './issuer-options.js';
export type { IntrospectionOptions } from './introspection-option.js';

/** Options of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  /**
   * The issuer URL (GEM `issuer_url`), exactly as the discovery document states it; a list
   * trusts several with the same settings. Either this or `issuers`.
   */
  issuerUrl?: string | string[];
  /**
   * Trusted issuers, each with settings of its own; the options at the top are every entry's
   * defaults. The token's unverified `iss` picks the entry before any fetch. Either this or `issuerUrl`.
   */
  issuers?: IssuerOptions[];
  /** Accepted `aud` values; `false` disables the audience check explicitly. Required here or on every `issuers` entry. */
  audience?: string | string[] | false;
  /** The claim checked against `audience`. Default `aud`; Cognito access tokens carry `client_id` instead. */
  audienceClaim?: string;
  /** The JWKS URL of an issuer without discovery (GEM Logs and Traces' `oidc.url`); with one `issuerUrl` only. */
  jwksUri?: string;
  /** Claim holding the policy values (GEM `access_policy_claim`): a top-level name or a dotted path. Required here or on every entry. */
  accessPolicyClaim?: string;
  /** RE2 pattern with at least one capture group (GEM `access_policy_regex`); group 1 is the policy name. Required here or on every entry. */
  accessPolicyRegex?: string;
  /** Policies keyed by lowercase name, or an async function resolving names to policies. */
  accessPolicies: AccessPolicyStore;
  /** Accepted JWS algorithms; asymmetric only. Default: RS256-512, PS256-512, ES256-512, EdDSA. */
  algorithms?: Algorithm[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`; at most 5 minutes. Default `'30s'`. */
  clockTolerance?: Duration;
  /** When `false`, a plain `Bearer <jwt>` without a tenant is accepted too. Default `true`. */
  requireTenant?: boolean;
  /** A request header naming the tenant for a plain bearer token, such as `'x-scope-orgid'`. */
  tenantHeader?: string;
  /** Only realms of this cluster count. */
  cluster?: string;
  /** Required JWT `typ` header, such as `'at+jwt'` (RFC 9068). Off by default. */
  typ?: string;
  /** Accepted credential forms. Default both. */
  credentials?: { bearer?: boolean; basic?: boolean };
  /**
   * Access-policy and verified-token caches (GEM `auth.cache.ttl.duration`). Default
   * `{ ttl: '10m', maxEntries: 10000, maxBytes: 64 MiB }`. `maxBytes` bounds each cache by
   * the estimated heap its entries hold; an entry over a hundredth of it is verified but not cached.
   */
  cache?: { ttl?: Duration; maxEntries?: number; maxBytes?: number };
  /** JWKS cache. Default `{ cooldown: '30s', maxAge: '10m', timeout: '5s', maxStale: '24h' }`. */
  jwks?: { cooldown?: Duration; maxAge?: Duration; timeout?: Duration; maxStale?: Duration };
  /** Allow plain-http issuers and JWKS URIs off loopback. Default `false`. */
  allowInsecureHttp?: boolean;
  /** The fetch implementation used for discovery and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Observability hook; see {@link AuthEvent}. */
  onEvent?: EventListener;
  /** DPoP-bound tokens (RFC 9449). Off by default. */
  dpop?: DpopOptions;
  /** Tokens bound to the client's TLS certificate (RFC 8705). Off by default. */
  mtls?: MtlsOptions;
  /**
   * Publish OAuth 2.0 Protected Resource Metadata (RFC 9728): challenges carry its URL as
   * `resource_metadata`, `protectedResourceMetadata()` returns the document, and the adapters
   * serve it. Off by default.
   */
  resourceMetadata?: ResourceMetadataOptions;
  /**
   * Opaque access tokens checked by token introspection (RFC 7662), with one `issuerUrl`; with
   * `issuers`, set it on the entry whose tokens are opaque. Off by default.
   */
  introspection?: IntrospectionOptions;
}

/** Options after validation, durations in milliseconds. @internal */
export interface ResolvedOptions {
  issuers: string[];
  /** Every trusted issuer with its own settings, the defaults filled in. */
  issuerSettings: ResolvedIssuer[];
  audience: string[] | false;
  accessPolicyClaim: string;
  accessPolicyRegex: CompiledRegex;
  accessPolicies: Readonly<Record<string, AccessPolicy>> | ((names: string[]) => Promise<NamedAccessPolicy[]>);
  algorithms: Algorithm[];
  clockToleranceMs: number;
  requireTenant: boolean;
  tenantHeader: string | undefined;
  cluster: string | undefined;
  typ: string | undefined;
  credentials: { bearer: boolean; basic: boolean };
  cache: { ttlMs: number; maxEntries: number; maxBytes: number };
  jwks: { cooldownMs: number; maxAgeMs: number; timeoutMs: number; maxStaleMs: number };
  allowInsecureHttp: boolean;
  fetch: typeof globalThis.fetch;
  onEvent: EventListener | undefined;
  dpop: ResolvedDpop;
  mtls: { mode: 'off' | 'allowed' | 'required' };
  resourceMetadata: ResolvedResourceMetadata | undefined;
}

const MAX_CLOCK_TOLERANCE_MS = 5 * 60_000;
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** Below this, a hundredth of the budget holds no ordinary token. */
const MIN_CACHE_BYTES = 64 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const nonEmpty = z.string().min(1);

// Each policy is checked on its own and its problems added as they are (never aborting), so
// that the union of function and record in `accessPolicies` reports them with their paths
// instead of one "must be a record or a function".
const policyRecord = z.record(z.string(), z.unknown()).transform((record, context) => {
  const policies: Record<string, AccessPolicy> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name.length === 0) {
      context.addIssue({ code: 'custom', message: 'has an empty policy name', continue: true });
    } else if (name !== goLowercase(name)) {
      context.addIssue({
        code: 'custom',
        message: `has the policy "${name}", which no token can name: names from tokens are lowercased, so call it "${goLowercase(name)}"`,
        continue: true,
      });
    }
    const parsed = accessPolicySchema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ ...issue, path: [name, ...issue.path], continue: true });
    } else {
      // Defined, not assigned: a policy named "__proto__" must stay a policy.
      Object.defineProperty(policies, name, { value: parsed.data, enumerable: true, writable: true, configurable: true });
    }
  }
  return policies;
});

const optionsSchema = z.strictObject({
  issuerUrl: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
  issuers: z.array(issuerEntrySchema).min(1).optional(),
  audience: z.union([nonEmpty, z.array(nonEmpty).min(1), z.literal(false)]).optional(),
  audienceClaim: nonEmpty.optional(),
  jwksUri: nonEmpty.optional(),
  accessPolicyClaim: nonEmpty.optional(),
  accessPolicyRegex: regexSchema.optional(),
  accessPolicies: z.union([z.function(), policyRecord]),
  algorithms: z.array(algorithmSchema).min(1).default([...DEFAULT_ALGORITHMS]),
  clockTolerance: duration('30s', { maxMs: MAX_CLOCK_TOLERANCE_MS }),
  requireTenant: z.boolean().default(true),
  tenantHeader: z.string().regex(HEADER_NAME).optional(),
  cluster: nonEmpty.optional(),
  typ: nonEmpty.optional(),
  credentials: z
    .strictObject({ bearer: z.boolean().default(true), basic: z.boolean().default(true) })
    .prefault({})
    .refine((schemes) => schemes.bearer || schemes.basic, 'must enable bearer, basic or both'),
  cache: z
    .strictObject({
      ttl: duration('10m', { positive: true }),
      maxEntries: z.number().int().min(1).default(10_000),
      maxBytes: z.number().int().min(MIN_CACHE_BYTES).default(DEFAULT_CACHE_BYTES),
    })
    .prefault({}),
  jwks: z
    .strictObject({
      cooldown: duration('30s'),
      maxAge: duration('10m', { positive: true }),
      timeout: duration('5s', { positive: true }),
      maxStale: duration('24h'),
    })
    .prefault({}),
  allowInsecureHttp: z.boolean().default(false),
  fetch: z.function().optional(),
  onEvent: z.function().optional(),
  dpop: dpopSchema,
  mtls: mtlsSchema,
  resourceMetadata: resourceMetadataSchema,
  introspection: introspectionSchema.optional(),
});

/** Validates `input` and fills in defaults; throws one ConfigError listing every problem. @internal */
export function resolveOptions(input: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input, { reportInput: true });
  const problems = parsed.success ? [] : describeProblems(parsed.error.issues, AUTHENTICATOR_OPTIONS);
  // Checked on the raw input too, so one ConfigError lists every problem at once.
  const raw: Record<string, unknown> = typeof input === 'object' && input !== null ? { ...input } : {};
  const rawIssuers = [raw.issuerUrl].flat().filter((issuer): issuer is string => typeof issuer === 'string' && issuer !== '');
  problems.push(...issuerProblems(rawIssuers, raw.allowInsecureHttp === true));
  problems.push(...resourceMetadataProblems(raw.resourceMetadata, raw.allowInsecureHttp === true));
  const entries = parsed.success ? resolveIssuerEntries(parsed.data, raw.allowInsecureHttp === true) : undefined;
  // Options that are not even an object have one problem, said once by the schema.
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  problems.push(...(entries !== undefined ? entries.problems : isObject ? missingIssuerSettings(raw) : []));
  if (typeof raw.tenantHeader === 'string' && raw.tenantHeader.toLowerCase() === 'authorization') {
    problems.push('`tenantHeader` cannot be "authorization".');
  }
  const fetchImplementation = (raw.fetch ?? globalThis.fetch) as typeof globalThis.fetch | undefined;
  if (raw.fetch === undefined && typeof fetchImplementation !== 'function') {
    problems.push('`fetch` is not given and this runtime has no global fetch.');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const options = parsed.data;
  const settings = entries?.issuers ?? [];
  // The top-level settings as the first issuer has them: what single-issuer callers (the CLI) read.
  const first = settings[0] as ResolvedIssuer;
  return {
    issuers: settings.map((entry) => entry.issuer),
    issuerSettings: settings,
    audience: first.audience,
    accessPolicyClaim: first.accessPolicyClaim,
    accessPolicyRegex: first.accessPolicyRegex,
    // Functions are taken from the raw input: zod would hand back a wrapper that re-parses arguments.
    accessPolicies: (typeof raw.accessPolicies === 'function' ? raw.accessPolicies : options.accessPolicies) as ResolvedOptions['accessPolicies'],
    algorithms: [...new Set(settings.flatMap((entry) => entry.algorithms))],
    clockToleranceMs: options.clockTolerance,
    requireTenant: options.requireTenant,
    tenantHeader: options.tenantHeader?.toLowerCase(),
    cluster: options.cluster,
    typ: options.typ,
    credentials: options.credentials,
    cache: { ttlMs: options.cache.ttl, maxEntries: options.cache.maxEntries, maxBytes: options.cache.maxBytes },
    jwks: {
      cooldownMs: options.jwks.cooldown,
      maxAgeMs: options.jwks.maxAge,
      timeoutMs: options.jwks.timeout,
      maxStaleMs: options.jwks.maxStale,
    },
    allowInsecureHttp: options.allowInsecureHttp,
    fetch: fetchImplementation as typeof globalThis.fetch,
    onEvent: raw.onEvent as EventListener | undefined,
    dpop: options.dpop,
    mtls: options.mtls,
    resourceMetadata: resolveResourceMetadata(options.resourceMetadata),
  };
}

function issuerProblems(issuers: string[], allowInsecureHttp: boolean): string[] {
  const problems: string[] = [];
  if (new Set(issuers).size !== issuers.length) problems.push('`issuerUrl` lists the same issuer twice.');
  for (const issuer of issuers) {
    const problem = urlProblem(issuer, allowInsecureHttp);
    if (problem !== undefined) problems.push(`\`issuerUrl\` "${issuer}" ${problem}.`);
  }
  return problems;
}
