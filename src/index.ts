/**
 * tenantgate: accept OpenID Connect JWTs the way Grafana Enterprise Metrics does.
 *
 * @example
 * ```ts
 * import { createAuthenticator } from 'tenantgate';
 *
 * const auth = createAuthenticator({
 *   issuerUrl: 'https://idp.example.com/realms/example',
 *   audience: 'metrics-api',
 *   accessPolicyClaim: 'sub',
 *   accessPolicyRegex: 'pref-([0-9]+)-.*',
 *   accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
 * });
 * const result = await auth.authenticate({ authorization: 'Bearer tenant-1:eyJ...' });
 * ```
 * @packageDocumentation
 */
export { createAuthenticator } from './authenticator/authenticator.js';
export type { Authenticator, AuthenticatorStatus, AuthorizeOptions, AuthResult, ProtectedResourceMetadata } from './authenticator/authenticator-types.js';
export { AuthError, ConfigError, AUTH_ERROR_STATUS } from './base/errors.js';
export type { AuthErrorCode, AuthErrorOptions, AuthErrorStatus, OAuthErrorCode } from './base/errors.js';
export type { AuthenticatorOptions, Algorithm, DpopOptions, IntrospectionOptions, IssuerOptions, MtlsOptions, ResourceMetadataOptions } from './options/options.js';
export { MemoryReplayStore } from './token/replay-store.js';
export type { ReplayStore } from './token/replay-store.js';
export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from './options/options.js';
export type { Duration } from './base/duration.js';
export type { CredentialsInput } from './credentials/credentials.js';
export type { IssuerStatus } from './issuer/issuer-keys.js';
export type { RegexEngineName } from './base/regex-engine.js';
export type {
  AccessPolicy,
  AccessPolicyStore,
  AccessPolicyView,
  NamedAccessPolicy,
  Realm,
} from './policy/access-policy.js';
export type {
  AuthEvent,
  AuthenticatedEvent,
  CacheEvent,
  DiscoveryEvent,
  EventListener,
  IntrospectionEvent,
  PolicyStoreErrorEvent,
  PolicyStoreEvent,
  PolicyStoreReloadedEvent,
  JwksRefreshEvent,
  JwksStaleEvent,
  KeySkippedEvent,
  RejectedEvent,
} from './base/events.js';
export type { JWK, JWTPayload } from './token/jwt-types.js';
