import { z } from 'zod';
import { fetchJson, FetchError, type FetchJsonOptions } from './fetch-json.js';
import { quoted } from '../base/operator-text.js';
import { urlProblem } from './url-rules.js';

/** What tenantgate needs from an OIDC discovery document. @internal */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: string;
  /** `introspection_endpoint` (RFC 8414), when published and usable. */
  introspectionEndpoint?: string | undefined;
}

const discoverySchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
  introspection_endpoint: z.unknown().optional(),
});

/** Where the discovery document of `issuerUrl` lives (OIDC Discovery 1.0 §4). @internal */
export function discoveryUrl(issuerUrl: string): string {
  return `${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Fetches and checks the discovery document of `issuerUrl`: its `issuer` must equal
 * `issuerUrl` exactly (OIDC Discovery 1.0 §4.3), and its `jwks_uri` must be https
 * (or http on loopback, or anywhere with `allowInsecureHttp`).
 *
 * @throws {FetchError}
 * @internal
 */
export async function discover(
  issuerUrl: string,
  options: FetchJsonOptions & { allowInsecureHttp: boolean; url?: string | undefined },
): Promise<IssuerMetadata> {
  // A templated issuer (`{tenantid}`) is discovered at the URL configured for it, whose
  // document names the template itself as its issuer (Entra's `common` and `organizations`).
  const url = options.url ?? discoveryUrl(issuerUrl);
  const parsed = discoverySchema.safeParse(await fetchJson(url, options));
  if (!parsed.success) {
    throw new FetchError(`the discovery document at ${quoted(url)} has no string "issuer" and "jwks_uri"`);
  }
  const { issuer, jwks_uri: jwksUri } = parsed.data;
  if (issuer !== issuerUrl) {
    throw new FetchError(
      `the discovery document at ${quoted(url)} names the issuer ${quoted(issuer)}, not the configured ${quoted(issuerUrl)}`,
    );
  }
  // OIDC does not forbid a query in jwks_uri, and Azure AD B2C publishes one (`?p=<policy>`).
  const problem = urlProblem(jwksUri, options.allowInsecureHttp, { query: true });
  if (problem !== undefined) {
    throw new FetchError(`the jwks_uri ${quoted(jwksUri)} of ${quoted(issuerUrl)} ${problem}`);
  }
  // Only an issuer whose tokens are introspected needs it: a bad one is reported when used.
  const endpoint = parsed.data.introspection_endpoint;
  const introspectionEndpoint =
    typeof endpoint === 'string' && urlProblem(endpoint, options.allowInsecureHttp, { query: true }) === undefined ? endpoint : undefined;
  return { issuer, jwksUri, introspectionEndpoint };
}
