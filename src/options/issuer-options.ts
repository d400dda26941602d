import type { CompiledRegex } from '../base/regex-engine.js';
import { z } from 'zod';
import type { Duration } from '../base/duration.js';
import { urlProblem } from '../issuer/url-rules.js';
import { algorithmSchema, DEFAULT_ALGORITHMS, type Algorithm } from './algorithm-option.js';
import { optionalDuration } from './duration-option.js';
import { regexSchema } from './regex-option.js';
import { issuerTemplateOf, TENANT_PLACEHOLDER, type IssuerTemplate } from '../issuer/issuer-template.js';
import { introspectionSchema, type IntrospectionOptions, type ResolvedIntrospection } from './introspection-option.js';

/**
 * One trusted issuer with settings of its own (the `issuers` option). Anything left out is
 * taken from the options at the top level.
 */
export interface IssuerOptions {
  /** The issuer URL, exactly as its tokens' `iss` and its discovery document state it. */
  issuerUrl: string;
  /** Accepted audiences for this issuer's tokens; `false` checks none. */
  audience?: string | string[] | false;
  /** The claim checked against `audience` (default `aud`; Cognito access tokens: `client_id`). */
  audienceClaim?: string;
  /** This issuer's JWKS URL, when it has no discovery document. */
  jwksUri?: string;
  /** The claim holding policy values in this issuer's tokens. */
  accessPolicyClaim?: string;
  /** The RE2 pattern mapping this issuer's claim values to policy names. */
  accessPolicyRegex?: string;
  /** Algorithms accepted from this issuer. */
  algorithms?: Algorithm[];
  /** The `typ` this issuer's tokens must carry. */
  typ?: string;
  /** Clock skew allowed with this issuer; at most 5 minutes. */
  clockTolerance?: Duration;
  /**
   * Where the discovery document is, for a templated `issuerUrl` (Microsoft Entra
   * multi-tenant: `https://login.microsoftonline.com/{tenantid}/v2.0` with
   * `https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration`).
   */
  discoveryUrl?: string;
  /** For a templated `issuerUrl`: the tenants (`tid`) accepted; default every tenant. */
  allowedTenantIds?: string[];
  /** Opaque access tokens of this issuer, checked by introspection (RFC 7662); one issuer at most. */
  introspection?: IntrospectionOptions;
}

/** One issuer after validation, the defaults filled in. @internal */
export interface ResolvedIssuer {
  issuer: string;
  jwksUri: string | undefined;
  audience: string[] | false;
  audienceClaim: string;
  accessPolicyClaim: string;
  accessPolicyRegex: CompiledRegex;
  algorithms: Algorithm[];
  typ: string | undefined;
  clockToleranceMs: number;
  discoveryUrl: string | undefined;
  /** Set when `issuer` holds `{tenantid}`. */
  template: IssuerTemplate | undefined;
  introspection: ResolvedIntrospection | undefined;
}

const MAX_CLOCK_TOLERANCE_MS = 5 * 60_000;
const nonEmpty = z.string().min(1);

/** One entry of `issuers`. @internal */
export const issuerEntrySchema = z.strictObject({
  issuerUrl: nonEmpty,
  audience: z.union([nonEmpty, z.array(nonEmpty).min(1), z.literal(false)]).optional(),
  audienceClaim: nonEmpty.optional(),
  jwksUri: nonEmpty.optional(),
  accessPolicyClaim: nonEmpty.optional(),
  accessPolicyRegex: regexSchema.optional(),
  algorithms: z.array(algorithmSchema).min(1).optional(),
  typ: nonEmpty.optional(),
  clockTolerance: optionalDuration({ maxMs: MAX_CLOCK_TOLERANCE_MS }),
  discoveryUrl: nonEmpty.optional(),
  allowedTenantIds: z.array(nonEmpty).min(1).optional(),
  introspection: introspectionSchema.optional(),
});

type Entry = z.output<typeof issuerEntrySchema>;

/** The top-level options the entries inherit from, as parsed. @internal */
export interface IssuerDefaults {
  issuerUrl?: string | string[] | undefined;
  issuers?: Entry[] | undefined;
  audience?: string | string[] | false | undefined;
  audienceClaim?: string | undefined;
  jwksUri?: string | undefined;
  accessPolicyClaim?: string | undefined;
  accessPolicyRegex?: CompiledRegex | undefined;
  algorithms: string[];
  typ?: string | undefined;
  clockTolerance: number;
  introspection?: ResolvedIntrospection | undefined;
}

/**
 * Every trusted issuer with its settings: the `issuers` entries, or one entry per `issuerUrl`,
 * each setting taken from the entry or else from the top level. Problems name the entry.
 * @internal
 */
export function resolveIssuerEntries(top: IssuerDefaults, allowInsecureHttp: boolean): { issuers: ResolvedIssuer[]; problems: string[] } {
  const problems: string[] = [];
  if (top.issuers !== undefined && top.issuerUrl !== undefined) {
    problems.push('Set `issuerUrl` or `issuers`, not both: `issuers` lists every trusted issuer, each with its `issuerUrl`.');
  }
  if (top.issuers === undefined && top.issuerUrl === undefined) {
    problems.push('`issuerUrl` is required (or `issuers`, a list of issuers with settings of their own).');
  }
  if (top.jwksUri !== undefined && typeof top.issuerUrl !== 'string') {
    problems.push('`jwksUri` needs exactly one `issuerUrl`; with several issuers, set it on an `issuers` entry.');
  }
  if (top.introspection !== undefined && typeof top.issuerUrl !== 'string') {
    problems.push('`introspection` at the top level needs exactly one `issuerUrl`; with several issuers, set it on the `issuers` entry whose tokens are opaque.');
  }
  const entries: Entry[] =
    top.issuers ??
    [top.issuerUrl ?? []].flat().map((issuerUrl) => ({ issuerUrl, jwksUri: top.jwksUri, clockTolerance: undefined, introspection: top.introspection }));
  problems.push(...introspectionProblems(entries, top.issuers !== undefined, allowInsecureHttp));
  const issuers: ResolvedIssuer[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const where = top.issuers === undefined ? undefined : `issuers[${index}]`;
    const missing = (name: string) =>
      problems.push(where === undefined ? `\`${name}\` is required.` : `\`${where}\` has no \`${name}\`: set it on the entry or at the top level.`);
    const audience = entry.audience ?? top.audience;
    const accessPolicyClaim = entry.accessPolicyClaim ?? top.accessPolicyClaim;
    const accessPolicyRegex = entry.accessPolicyRegex ?? top.accessPolicyRegex;
    if (audience === undefined) missing('audience');
    if (accessPolicyClaim === undefined) missing('accessPolicyClaim');
    if (accessPolicyRegex === undefined) missing('accessPolicyRegex');
    const template = issuerTemplateOf(entry.issuerUrl, entry.allowedTenantIds);
    if (where !== undefined) {
      if (seen.has(entry.issuerUrl)) problems.push(`\`${where}.issuerUrl\` repeats an issuer listed before.`);
      // A template is judged as the URL a tenant would have.
      const problem = urlProblem(entry.issuerUrl.replaceAll(TENANT_PLACEHOLDER, 'tenant'), allowInsecureHttp);
      if (problem !== undefined) problems.push(`\`${where}.issuerUrl\` "${entry.issuerUrl}" ${problem}.`);
      problems.push(...templateProblems(where, entry, template !== undefined, allowInsecureHttp));
    } else if (template !== undefined) {
      problems.push('`issuerUrl` holds {tenantid}: a templated issuer goes in `issuers`, with its `discoveryUrl`.');
    }
    seen.add(entry.issuerUrl);
    if (entry.jwksUri !== undefined) {
      const problem = urlProblem(entry.jwksUri, allowInsecureHttp);
      if (problem !== undefined) problems.push(`\`${where === undefined ? 'jwksUri' : `${where}.jwksUri`}\` "${entry.jwksUri}" ${problem}.`);
    }
    if (audience === undefined || accessPolicyClaim === undefined || accessPolicyRegex === undefined) return;
    issuers.push({
      issuer: entry.issuerUrl,
      jwksUri: entry.jwksUri,
      audience: audience === false ? false : [audience].flat(),
      audienceClaim: entry.audienceClaim ?? top.audienceClaim ?? 'aud',
      accessPolicyClaim,
      accessPolicyRegex,
      algorithms: [...new Set((entry.algorithms ?? top.algorithms ?? DEFAULT_ALGORITHMS) as Algorithm[])],
      typ: entry.typ ?? top.typ,
      clockToleranceMs: entry.clockTolerance ?? top.clockTolerance,
      discoveryUrl: entry.discoveryUrl,
      template,
      introspection: entry.introspection,
    });
  });
  return { issuers, problems };
}

/**
 * The settings missing from options that did not parse, named as {@link resolveIssuerEntries}
 * names them, so that one `ConfigError` lists every problem at once.
 * @internal
 */
export function missingIssuerSettings(raw: Record<string, unknown>): string[] {
  if (raw.issuers !== undefined) return [];
  const problems: string[] = [];
  if (raw.issuerUrl === undefined) problems.push('`issuerUrl` is required (or `issuers`, a list of issuers with settings of their own).');
  for (const name of ['audience', 'accessPolicyClaim', 'accessPolicyRegex']) {
    if (raw[name] === undefined) problems.push(`\`${name}\` is required.`);
  }
  return problems;
}

/**
 * One issuer at most introspects: an opaque token says nothing of where it comes from, and
 * trying several issuers would hand each one the tokens of the others.
 */
function introspectionProblems(entries: Entry[], listed: boolean, allowInsecureHttp: boolean): string[] {
  const problems: string[] = [];
  const introspecting = entries.flatMap((entry, index) => (entry.introspection === undefined ? [] : [index]));
  if (listed && introspecting.length > 1) {
    problems.push(
      `\`introspection\` is set on ${introspecting.map((index) => `issuers[${index}]`).join(' and ')}: one issuer at most may introspect, since an opaque token does not say which issuer it comes from.`,
    );
  }
  for (const index of introspecting) {
    const entry = entries[index] as Entry;
    const where = listed ? `issuers[${index}].introspection` : 'introspection';
    const introspection = entry.introspection as ResolvedIntrospection;
    if (entry.issuerUrl.includes(TENANT_PLACEHOLDER)) problems.push(`\`${where}\` cannot be set on a templated issuer ({tenantid}).`);
    if (introspection.endpoint === undefined && entry.jwksUri !== undefined) {
      problems.push(`\`${where}.endpoint\` is required with \`jwksUri\`: without discovery, the introspection endpoint cannot be looked up.`);
    }
    if (introspection.endpoint !== undefined) {
      const problem = urlProblem(introspection.endpoint, allowInsecureHttp, { query: true });
      if (problem !== undefined) problems.push(`\`${where}.endpoint\` "${introspection.endpoint}" ${problem}.`);
    }
  }
  return problems;
}

/** What a templated entry needs, and what only a templated entry may have. */
function templateProblems(where: string, entry: Entry, templated: boolean, allowInsecureHttp: boolean): string[] {
  const problems: string[] = [];
  if (templated) {
    if (entry.issuerUrl.split(TENANT_PLACEHOLDER).length !== 2) problems.push(`\`${where}.issuerUrl\` may hold {tenantid} once.`);
    if (entry.discoveryUrl === undefined && entry.jwksUri === undefined) {
      problems.push(`\`${where}.issuerUrl\` holds {tenantid}: set \`discoveryUrl\` (such as Entra's organizations or common document) or \`jwksUri\`.`);
    }
  } else if (entry.allowedTenantIds !== undefined) {
    problems.push(`\`${where}.allowedTenantIds\` needs an \`issuerUrl\` holding {tenantid}.`);
  }
  if (entry.discoveryUrl !== undefined) {
    const problem = urlProblem(entry.discoveryUrl, allowInsecureHttp);
    if (problem !== undefined) problems.push(`\`${where}.discoveryUrl\` "${entry.discoveryUrl}" ${problem}.`);
  }
  return problems;
}
