import type { Authenticator, ProtectedResourceMetadata } from './authenticator-types.js';
import type { ResolvedOptions } from '../options/options.js';

/**
 * The protected resource metadata document (RFC 9728 §2) of the resolved options; `undefined`
 * when `resourceMetadata` is not set. Parameters without values are left out (§3.2). Frozen.
 * @internal
 */
export function resourceMetadataOf(resolved: ResolvedOptions): ProtectedResourceMetadata | undefined {
  const options = resolved.resourceMetadata;
  if (options === undefined) return undefined;
  const frozen = (values: readonly string[]) => Object.freeze([...values]) as string[];
  const dpop = resolved.dpop.mode !== 'off';
  const document: ProtectedResourceMetadata = {
    resource: options.resource,
    authorization_servers: frozen(authorizationServers(resolved)),
    bearer_methods_supported: frozen(['header']),
    ...(options.scopesSupported === undefined ? {} : { scopes_supported: frozen(options.scopesSupported) }),
    ...(dpop ? { dpop_signing_alg_values_supported: frozen(resolved.dpop.algorithms) } : {}),
    dpop_bound_access_tokens_required: resolved.dpop.mode === 'required',
  };
  return Object.freeze(document);
}

/**
 * The issuer identifiers clients may get tokens from. A templated issuer (`{tenantid}`) is no
 * issuer identifier: it is listed once per allowed tenant, filled in, and left out when every
 * tenant is allowed (a client of such an app knows its own tenant's issuer).
 */
function authorizationServers(resolved: ResolvedOptions): string[] {
  return resolved.issuerSettings.flatMap(({ issuer, template }) => {
    if (template === undefined) return [issuer];
    return [...(template.allowedTenantIds ?? [])].map((tid) => `${template.prefix}${tid}${template.suffix}`);
  });
}

/** Where the adapters serve the document, and what they send. @internal */
export interface MetadataEndpoint {
  /** The path of the metadata URL, such as `/.well-known/oauth-protected-resource/v1`. */
  path: string;
  /** Its query, with the `?`, or `''`. */
  query: string;
  /** The document as JSON. */
  body: string;
}

/** A registered symbol, not a module-level map, so that the CommonJS entry points see it. */
const METADATA_ENDPOINT = Symbol.for('tenantgate.resourceMetadataEndpoint');

/** Registers where an authenticator's metadata document is served. @internal */
export function registerMetadataEndpoint(
  owner: Authenticator,
  resolved: ResolvedOptions,
  document: ProtectedResourceMetadata | undefined,
): void {
  const options = resolved.resourceMetadata;
  if (document === undefined || options === undefined) return;
  const endpoint: MetadataEndpoint = { path: options.path, query: options.query, body: JSON.stringify(document) };
  Object.defineProperty(owner, METADATA_ENDPOINT, { value: Object.freeze(endpoint), enumerable: false });
}

/**
 * Where `auth` publishes its metadata; `undefined` when it does not (the option is not set, or
 * `auth` is a wrapper or a test double).
 * @internal
 */
export function metadataEndpointOf(auth: Authenticator): MetadataEndpoint | undefined {
  return (auth as { [METADATA_ENDPOINT]?: MetadataEndpoint })[METADATA_ENDPOINT];
}
