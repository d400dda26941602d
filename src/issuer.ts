import { z } from 'zod';
import { fetchJson, FetchError, type FetchJsonOptions } from './fetch-json.js';
import { urlProblem } from './options.js';

/** What tenantgate needs from an OIDC discovery document. @internal */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: string;
}

const discoverySchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
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
  options: FetchJsonOptions & { allowInsecureHttp: boolean },
): Promise<IssuerMetadata> {
  const url = discoveryUrl(issuerUrl);
  const parsed = discoverySchema.safeParse(await fetchJson(url, options));
  if (!parsed.success) {
    throw new FetchError(`the discovery document at ${url} has no string "issuer" and "jwks_uri"`);
  }
  const { issuer, jwks_uri: jwksUri } = parsed.data;
  if (issuer !== issuerUrl) {
    throw new FetchError(
      `the discovery document at ${url} names the issuer ${JSON.stringify(issuer)}, not the configured ${JSON.stringify(issuerUrl)}`,
    );
  }
  const problem = urlProblem(jwksUri, options.allowInsecureHttp);
  if (problem !== undefined) {
    throw new FetchError(`the jwks_uri ${JSON.stringify(jwksUri)} of ${issuerUrl} ${problem}`);
  }
  return { issuer, jwksUri };
}
