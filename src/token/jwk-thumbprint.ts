import { createHash } from 'node:crypto';

/**
 * The members RFC 7638 §3.2 hashes for each key type, already in lexicographic order: the
 * thumbprint must not depend on how the sender ordered or decorated its JWK.
 */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[] | undefined>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, readonly string[]>, {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  }),
);

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK, base64url-encoded: what a DPoP-bound
 * token's `cnf.jkt` names (RFC 9449 §6.1). Synchronous, so that it can be computed once when
 * a key is imported and kept with it.
 *
 * Only the required members count, serialized as compact JSON in lexicographic order; every
 * other member (`kid`, `alg`, `use`, private members) is ignored, as the RFC asks.
 *
 * @throws {Error} a plain error, for the caller to turn into its own refusal, when `kty` is not
 * `RSA`, `EC` or `OKP` or a required member is not a string. The message names the member,
 * never its value.
 * @internal
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const { kty } = jwk;
  const members = typeof kty === 'string' ? REQUIRED_MEMBERS[kty] : undefined;
  if (members === undefined) throw new Error('the JWK key type is missing or not supported for a thumbprint');
  const picked: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') throw new Error(`the JWK member "${name}" is missing or not a string`);
    picked[name] = value;
  }
  // Members were inserted in lexicographic order and JSON.stringify keeps insertion order for
  // string keys, so this is the RFC's canonical form (no whitespace, no escapes a base64url
  // value could need).
  return createHash('sha256').update(JSON.stringify(picked), 'utf8').digest('base64url');
}
