/** What a profile of `createTestIssuer({ profile })` reproduces of an identity provider. */

/** The identity providers `createTestIssuer({ profile })` can imitate. */
export type TestProfileName =
  | 'keycloak'
  | 'entra-v1'
  | 'entra-v2'
  | 'entra-multitenant'
  | 'okta'
  | 'auth0'
  | 'cognito'
  | 'google'
  | 'github-actions'
  | 'gitlab'
  | 'dex';

/** What a profile's default claims are computed from. @internal */
export interface ProfileContext {
  /** The issuer URL (`iss`), as served. */
  url: string;
  /** `http://127.0.0.1:<port>`: stands for the IdP's host. */
  origin: string;
  /** The issuer's default audience. */
  audience: string;
}

/**
 * One identity provider's shapes, reproduced on 127.0.0.1: the PATH of its issuer and JWKS
 * URLs (never its hostname), the members of its JWKs, its discovery fields and the claims its
 * tokens carry. Every profile names the public documentation it follows in `source`.
 * @internal
 */
export interface TestProfile {
  readonly name: TestProfileName;
  /** The documentation the shapes come from. */
  readonly source: readonly string[];
  /** Path of the issuer URL, without a trailing slash. */
  readonly path: string;
  /** The issuer URL ends with `/` (Auth0, Entra v1); discovery is still `<path>/.well-known/...`. */
  readonly trailingSlash?: boolean;
  /** Path of the JWKS on the server. */
  readonly jwksPath: string;
  /** Default `aud` of signed tokens (or of `audienceClaim`, for Cognito). */
  readonly audience: string;
  /** JWK members: `alg` present, an `x5c` certificate chain (with `x5t`), `kid` equal to `x5t`, `x5t#S256`. */
  readonly jwk: { alg: boolean; x5c: boolean; kidIsX5t?: boolean; x5tS256?: boolean };
  /** Also publishes an RSA-OAEP encryption key (`use: 'enc'`), as Keycloak does. */
  readonly encryptionKey?: boolean;
  /** Discovery fields added to (or replacing) the test issuer's. */
  discovery(context: ProfileContext): Record<string, unknown>;
  /** Claims every signed token carries (`undefined` removes a default, such as Cognito's `aud`). */
  claims(context: ProfileContext): Record<string, unknown>;
}

/** `n` random-looking hex digits (for ids such as `jti`); not security-relevant. @internal */
export function hexId(length = 32): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}
