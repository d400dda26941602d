import { z } from 'zod';
import { urlProblem } from '../issuer/url-rules.js';

/** Options of the protected resource metadata document (RFC 9728). */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier (RFC 9728 §1.2): an https URL without a fragment (http only on
   * loopback, or with `allowInsecureHttp`), such as `'https://metrics.example.com'`. Sent back
   * exactly as written in the document's `resource`; the document is served at the URL made by
   * inserting `/.well-known/oauth-protected-resource` between its host and its path (§3.1).
   */
  resource: string;
  /** Scopes a client may request for this resource, published as `scopes_supported`. */
  scopesSupported?: string[];
}

/** `resourceMetadata` after validation. @internal */
export interface ResolvedResourceMetadata {
  /** The resource identifier, as given. */
  resource: string;
  scopesSupported: string[] | undefined;
  /** The URL of the metadata document (RFC 9728 §3.1). */
  url: string;
  /** That URL's path and query, what a request for it carries as its target. */
  path: string;
  query: string;
}

/** The well-known URI string RFC 9728 §3 registers. */
export const RESOURCE_METADATA_SUFFIX = '/.well-known/oauth-protected-resource';

/** `resourceMetadata`; its URL is checked by {@link resourceMetadataProblems}. @internal */
export const resourceMetadataSchema = z
  .strictObject({
    resource: z.string().min(1),
    scopesSupported: z.array(z.string().min(1)).min(1).optional(),
  })
  .optional();

/**
 * Why the raw `resourceMetadata` option's `resource` cannot be a resource identifier: the URL
 * rules of issuers (https, or http on loopback or with `allowInsecureHttp`; no credentials),
 * with a query allowed but no fragment (RFC 9728 §1.2).
 * @internal
 */
export function resourceMetadataProblems(raw: unknown, allowInsecureHttp: boolean): string[] {
  const resource = typeof raw === 'object' && raw !== null ? (raw as { resource?: unknown }).resource : undefined;
  if (typeof resource !== 'string' || resource === '') return [];
  const problem = urlProblem(resource, allowInsecureHttp, { query: true });
  return problem === undefined ? [] : [`\`resourceMetadata.resource\` "${resource}" ${problem}.`];
}

/**
 * The option resolved, with the URL of its document: `/.well-known/oauth-protected-resource`
 * inserted between the host and the path and query, a lone `/` after the host dropped first
 * (RFC 9728 §3.1). `undefined` when the option is not set.
 * @internal
 */
export function resolveResourceMetadata(
  options: z.output<typeof resourceMetadataSchema>,
): ResolvedResourceMetadata | undefined {
  if (options === undefined) return undefined;
  const parsed = new URL(options.resource);
  const path = `${RESOURCE_METADATA_SUFFIX}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  // The URL parser leaves a backslash in a query as it is; a quoted challenge parameter cannot hold one.
  const query = parsed.search.replaceAll('\\', '%5C');
  return {
    resource: options.resource,
    scopesSupported: options.scopesSupported === undefined ? undefined : [...new Set(options.scopesSupported)],
    url: `${parsed.origin}${path}${query}`,
    path,
    query,
  };
}
