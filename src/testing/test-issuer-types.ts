/** The public types of the local issuer behind `tenantgate/testing`. */
import type { Duration } from '../base/duration.js';
import type { JWK } from '../token/jwt-types.js';
import type { TestProfileName } from './profiles/index.js';
import type { TestIntrospectionClient } from './test-introspection.js';

export type { TestProfileName } from './profiles/index.js';
export type { TestIntrospectionClient } from './test-introspection.js';

/** Algorithms the test issuer can sign with. */
export type TestAlgorithm =
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** One signing key is made per algorithm; the first signs by default. Default `['RS256']`. */
  algorithms?: TestAlgorithm[];
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** Path of the issuer URL, such as `'/realms/example'`. Default none. */
  path?: string;
  /** The `aud` of signed tokens unless a claim overrides it. Default `'tenantgate-test'`. */
  audience?: string;
  /**
   * Imitate an identity provider (docs/idp-recipes.md): its issuer and JWKS paths, JWK members
   * (`x5c`, `alg` or not), discovery fields and default token claims. `path` and `audience`
   * still override the profile's.
   */
  profile?: TestProfileName;
  /**
   * The client allowed to call the introspection endpoint (`client_secret_basic`). Default
   * `{ clientId: 'tenantgate-test', clientSecret: 'tenantgate-test-secret' }`.
   */
  introspectionClient?: TestIntrospectionClient;
}

/** Options of {@link TestIssuer.sign}. */
export interface TestSignOptions {
  /** Sign with this key; default the newest key of `alg`, or the default signer (see {@link TestIssuer.rotate}). */
  kid?: string;
  /** Sign with the newest key of this algorithm. */
  alg?: TestAlgorithm;
  /** Protected-header fields added or replaced (`alg` is the key's and cannot be changed). */
  header?: Record<string, unknown>;
  /** Lifetime from now; `null` leaves out `exp`. Default `'5m'`. */
  expiresIn?: Duration | null;
}

/** How the issuer misbehaves: `down` answers 500, `hang` never answers, `slow` answers late. */
export type TestIssuerFailure = 'down' | 'hang' | 'slow';

/** An endpoint of the test issuer. */
export type TestEndpoint = 'discovery' | 'jwks' | 'introspection';

/** A canned answer for an endpoint, replacing the real one. */
export interface TestResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

/** A running test issuer. Every member is safe to call at any time until {@link close}. */
export interface TestIssuer {
  /** The issuer URL, as in the discovery document's `issuer` and tokens' `iss`. */
  readonly url: string;
  /** Where the discovery document is served. */
  readonly discoveryUrl: string;
  /** Where the JWKS is served. */
  readonly jwksUri: string;
  /** Where opaque tokens are introspected (RFC 7662), as the discovery document's `introspection_endpoint`. */
  readonly introspectionEndpoint: string;
  /** The client the introspection endpoint accepts. */
  readonly introspectionClient: TestIntrospectionClient;
  /** The default `aud` of signed tokens (Cognito profile: of `client_id`). */
  readonly audience: string;
  /** The IdP profile imitated, if any. */
  readonly profile: TestProfileName | undefined;
  /** Requests received per endpoint, failures included. */
  readonly requests: Readonly<Record<TestEndpoint, number>>;
  /** Key ids published in the JWKS, oldest first. */
  readonly kids: string[];
  /** The discovery document as served when nothing overrides it. */
  readonly discoveryDocument: Record<string, unknown>;
  /** The JWKS as served when nothing overrides it. */
  readonly jwks: { keys: JWK[] };
  /** Signs a JWT. Default claims: `iss`, `aud`, `iat`, `exp` and the profile's; `claims` add to or replace them (`undefined` removes one). */
  sign(claims?: Record<string, unknown>, options?: TestSignOptions): Promise<string>;
  /**
   * Makes an opaque access token that the introspection endpoint answers as active with these
   * claims (defaults as for {@link sign}), until it expires or is {@link revoke}d.
   */
  issueOpaqueToken(claims?: Record<string, unknown>, options?: Pick<TestSignOptions, 'expiresIn'>): Promise<string>;
  /** Revokes an opaque token: introspection answers `active: false` from now on. */
  revoke(token: string): void;
  /** Signs an arbitrary payload (any bytes, not necessarily a JSON object). */
  signPayload(payload: string | Uint8Array, options?: Omit<TestSignOptions, 'expiresIn'>): Promise<string>;
  /** Adds a new key that becomes the default signer; older keys stay published. Returns its kid. */
  rotate(alg?: TestAlgorithm): Promise<string>;
  /** Stops publishing a key (tokens it signed no longer verify once a verifier refetches). */
  removeKey(kid: string): void;
  /** Publishes an extra JWK exactly as given, such as a private or undersized key. */
  publish(jwk: JWK): void;
  /** Starts (or with `null` stops) a failure mode, for one endpoint or every one. */
  fail(mode: TestIssuerFailure | null, options?: { endpoint?: TestEndpoint; delay?: Duration }): void;
  /** Replaces an endpoint's answer (or with `null` restores it). */
  override(endpoint: TestEndpoint, response: TestResponse | null): void;
  /** Sets every request counter back to zero. */
  resetRequests(): void;
  /** Stops the server, dropping hanging requests. */
  close(): Promise<void>;
}
