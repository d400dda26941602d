/**
 * Hono middleware (Hono 4), on every runtime Hono runs on.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { middleware, type TenantgateEnv } from 'tenantgate/hono';
 *
 * const app = new Hono<TenantgateEnv>();
 * app.use('/api/*', middleware(auth, { scope: (c) => (c.req.method === 'GET' ? 'metrics:read' : 'metrics:write') }));
 * app.get('/api/metrics', (c) => c.json({ tenant: c.get('auth').tenant }));
 * ```
 * @packageDocumentation
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import { middlewareSettings } from './adapter-options.js';
import { AuthError } from '../base/errors.js';
import { errorResponse } from './fetch.js';
import { metadataAnswerOf, scopeFor, targetOf, webOutcome, type Outcome, type ScopeOption } from './http.js';
import { peerCertificate, type ClientCertificate, type SenderOptions } from './request-details.js';

export type { ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';
/** The refusal as a Web `Response`, the same bytes the middleware answers with; for `app.onError`. */
export { errorResponse } from './fetch.js';

/** The variables the middleware sets: `c.get('auth')` is the accepted request's result. */
export type TenantgateVariables = { auth: AuthResult };

/** A Hono `Env` with tenantgate's variables: `new Hono<TenantgateEnv>()`. */
export type TenantgateEnv = { Variables: TenantgateVariables };

/**
 * Options of the Hono {@link middleware}. There is no `forwardTenantHeader`: a handler that
 * proxies builds the upstream request itself (set the header there from `c.get('auth').tenant`).
 */
export interface HonoMiddlewareOptions {
  /** Scope each request needs, checked with `auth.authorize`: a string, or a function of the context. */
  scope?: ScopeOption<Context>;
  /**
   * The absolute URL the client addressed, which a DPoP proof names (`htu`), when it is not
   * `c.req.url`: behind a proxy that terminates TLS or rewrites the host or path.
   */
  requestUrl?: SenderOptions<Context>['requestUrl'];
  /**
   * The client certificate of an mTLS-bound token behind a TLS-terminating proxy. On
   * `@hono/node-server` over HTTPS, the certificate of the connection is read by default.
   */
  clientCertificate?: SenderOptions<Context>['clientCertificate'];
}

/**
 * Authenticates each request, sets `c.get('auth')`, and answers refusals with their status,
 * `WWW-Authenticate`, `Retry-After` (503) and a JSON `{ error, error_description }`. Anything
 * else that fails on the way (a scope function that throws) goes to Hono's error handling
 * (`app.onError`). With `resourceMetadata`, it answers GET and HEAD at the document's
 * well-known path itself, unauthenticated: mount it where those requests reach it.
 *
 * @throws {ConfigError} at once, for a missing authenticator or an unknown or mistyped option
 */
export function middleware(auth: Authenticator, options: HonoMiddlewareOptions = {}): MiddlewareHandler<TenantgateEnv> {
  const { authenticator, scope, sender } = middlewareSettings<Context>('hono', auth, options);
  const metadata = metadataAnswerOf(authenticator);
  const answer = (c: Context<TenantgateEnv>, next: () => Promise<void>, outcome: Outcome): Promise<Response | void> => {
    if (outcome instanceof AuthError) return Promise.resolve(errorResponse(outcome));
    c.set('auth', outcome);
    return next();
  };
  // Not an async function: a cached token goes on to `next` without an extra await.
  return (c, next) => {
    try {
      // The protected resource metadata is public (RFC 9728 §3): served before authenticating.
      if (metadata !== undefined && metadata.matches(c.req.method, targetOf(c.req.url))) {
        return Promise.resolve(new Response(c.req.method === 'HEAD' ? null : metadata.body, { status: 200, headers: metadata.headers }));
      }
      const outcome = webOutcome(authenticator, c.req.raw, scopeFor(scope, c), c, sender, () => connectionCertificate(c));
      if (outcome instanceof Promise) return outcome.then((settled) => answer(c, next, settled));
      return answer(c, next, outcome);
    } catch (error) {
      // A rejection, never a throw, for Hono's error handling.
      return Promise.reject(error);
    }
  };
}

/** The client certificate of the TLS connection, on `@hono/node-server` (which puts the Node request in `c.env.incoming`). */
function connectionCertificate(c: Context): ClientCertificate | undefined {
  const bindings = c.env as { incoming?: { socket?: unknown } } | undefined;
  return peerCertificate(bindings?.incoming?.socket);
}
