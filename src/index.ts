/**
 * tenantgate: accept OpenID Connect JWTs the way Grafana Enterprise Metrics does.
 * @packageDocumentation
 */
export { AuthError, ConfigError, AUTH_ERROR_STATUS } from './errors.js';
export type { AuthErrorCode, AuthErrorOptions, AuthErrorStatus, OAuthErrorCode } from './errors.js';
export type { AuthenticatorOptions, Algorithm } from './options.js';
export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from './options.js';
export type { Duration } from './duration.js';
export type { CredentialsInput } from './credentials.js';
export type { AccessPolicy, AccessPolicyStore, AccessPolicyView, NamedAccessPolicy, Realm } from './access-policy.js';
export type { AuthEvent, EventListener } from './events.js';
