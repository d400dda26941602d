/**
 * The rules an issuer URL and a JWKS URI must follow: https (http on loopback, or anywhere
 * with `allowInsecureHttp`), no credentials, no fragment, and a query only where allowed.
 */

/** Why `url` cannot be an issuer or JWKS URL, or `undefined`. @internal */
export function urlProblem(url: string, allowInsecureHttp: boolean, allow: { query?: boolean } = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must use https';
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials';
  if (allow.query === true && parsed.hash !== '') return 'must not have a fragment';
  if (allow.query !== true && (parsed.search !== '' || parsed.hash !== '')) return 'must not have a query or fragment';
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopback(parsed.hostname)) {
    return 'uses plain http off loopback (use https, or set allowInsecureHttp)';
  }
  return undefined;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
