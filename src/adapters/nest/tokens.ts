import type { AuthResult } from '../../authenticator/authenticator-types.js';
import type { AdapterSettings } from '../adapter-options.js';

/**
 * Injection token of the checked module options (the authenticator, the default scope and the
 * sender options), as `TenantgateModule` provides them. @internal
 */
export const TENANTGATE_SETTINGS = Symbol.for('tenantgate.nest.settings');

/**
 * Injection token of the `Authenticator` given to `TenantgateModule`, for a readiness probe
 * (`auth.status()`) or a check of its own: `@Inject(TENANTGATE_AUTHENTICATOR)`.
 */
export const TENANTGATE_AUTHENTICATOR = Symbol.for('tenantgate.nest.authenticator');

/** Metadata key of `@RequireScope()`. @internal */
export const SCOPE_METADATA = 'tenantgate:scope';

/** The module options once checked. @internal */
export type NestSettings = AdapterSettings<NestRequest>;

/**
 * The platform's request object: on Express the Express request, on Fastify the
 * `FastifyRequest`. The guard sets `auth` on it.
 */
export interface NestRequest {
  /** Set by `TenantgateGuard` on accepted requests. */
  auth?: AuthResult;
  [member: string]: unknown;
}
