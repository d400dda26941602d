/**
 * The JOSE shapes that appear in tenantgate's public types, declared here rather than
 * re-exported from jose: jose is an ES module only, and CommonJS TypeScript projects
 * cannot import its declarations. Both are structurally the same as jose's.
 */

/** JWT claims (RFC 7519 §4.1), plus any others the token carries. */
export interface JWTPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** A JSON Web Key (RFC 7517), public or private members alike. */
export interface JWK {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  n?: string;
  e?: string;
  x?: string;
  y?: string;
  d?: string;
  [member: string]: unknown;
}
