import { fetchJson } from '../issuer/fetch-json.js';
import type { Check } from './inspect-check.js';
import { discover, discoveryUrl } from '../issuer/discovery.js';

/** How `tenantgate inspect` fetches. @internal */
export interface DiscoveryFetch {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  allowInsecureHttp: boolean;
}

/**
 * The discovery step of `tenantgate inspect`, run by the same `discover` the authenticator
 * uses. Its errors alone cannot tell "nobody answered" from "the document names another
 * issuer", and the hints for those are opposite (fix the network vs. fix --issuer), so the
 * fetch is watched to learn whether and how the issuer answered.
 * @internal
 */
export async function discoveryCheck(
  issuer: string,
  options: DiscoveryFetch,
): Promise<{ check: Check; jwksUri: string | undefined; introspectionEndpoint?: string | undefined }> {
  let answered: number | undefined;
  const watched: typeof globalThis.fetch = async (input, init) => {
    const response = await options.fetch(input, init);
    answered = response.status;
    return response;
  };
  const signal = new AbortController().signal;
  try {
    const { jwksUri, introspectionEndpoint } = await discover(issuer, { ...options, fetch: watched, signal });
    return { check: { name: 'discovery', ok: true, detail: `${discoveryUrl(issuer)} names issuer ${JSON.stringify(issuer)}` }, jwksUri, introspectionEndpoint };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const hint = await hintFor(issuer, answered, { ...options, signal });
    return { check: { name: 'discovery', ok: false, detail, hint }, jwksUri: undefined };
  }
}

async function hintFor(
  issuer: string,
  answered: number | undefined,
  options: DiscoveryFetch & { signal: AbortSignal },
): Promise<string> {
  const url = discoveryUrl(issuer);
  const origin = new URL(url).origin;
  if (answered === undefined) {
    return `the issuer could not be reached at ${origin} (each fetch waits at most ${options.timeoutMs / 1000} s): check that it is up and reachable from here (host, port, DNS, proxy, firewall)`;
  }
  if (answered >= 300 && answered < 400) {
    return 'the issuer redirects, and redirects are not followed: --issuer must be the exact issuer URL, scheme and trailing slash included';
  }
  if (answered !== 200) {
    return `${origin} answered, but serves no discovery document at ${url}: check the path of --issuer (with Keycloak it ends in /realms/<realm>)`;
  }
  // Only a failure after a 200 can be an issuer mismatch; the document is read again
  // (rarely, and only here) to name the issuer it states.
  let stated: unknown;
  try {
    const document = await fetchJson(url, options);
    stated = typeof document === 'object' && document !== null ? (document as { issuer?: unknown }).issuer : undefined;
  } catch {
    stated = undefined;
  }
  if (typeof stated === 'string' && stated !== issuer) {
    return `check --issuer: it must be exactly the discovery document's "issuer", ${JSON.stringify(stated)}`;
  }
  return `the issuer answered at ${url}, but not with a discovery document tenantgate can use`;
}
