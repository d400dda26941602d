/**
 * Express middleware (Express 4 and 5).
 *
 * @example
 * ```ts
 * import { middleware } from 'tenantgate/express';
 *
 * app.get('/metrics', middleware(auth, { scope: 'metrics:read' }), (req, res) => {
 *   res.json({ tenant: req.auth?.tenant });
 * });
 * ```
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import { middlewareSettings } from './adapter-options.js';
import { AuthError } from '../base/errors.js';
import {
  authenticateRequest,
  errorResponse,
  forwardTenant,
  metadataAnswerOf,
  scopeFor,
  whenSettled,
  type AdapterOptions,
  type Outcome,
} from './http.js';

export type { AdapterOptions, ErrorResponse, ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';
/** The status, headers and JSON body the middleware sends for a refusal; for an error handler behind `passErrors`. */
export { errorResponse } from './http.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by tenantgate's middleware on accepted requests. */
      auth?: AuthResult;
    }
  }
}

/** The request as the middleware sees it: Express's request, structurally. */
export type ExpressRequestLike = IncomingMessage & { auth?: AuthResult };

/** Options of the Express {@link middleware}. */
export interface ExpressMiddlewareOptions extends AdapterOptions<ExpressRequestLike> {
  /** Hand refusals to `next(error)` (an `AuthError`) instead of answering them. Default `false`. */
  passErrors?: boolean;
}

/** An Express request handler. */
export type ExpressMiddleware = (
  request: ExpressRequestLike,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Authenticates each request, sets `req.auth`, and answers refusals with their status,
 * `WWW-Authenticate`, `Retry-After` (503) and a JSON `{ error, error_description }`.
 * Anything else that fails on the way (a scope function that throws) goes to `next(error)`.
 * With `resourceMetadata`, it answers GET and HEAD at the document's well-known path itself,
 * unauthenticated: mount it where those requests reach it (`app.use(...)`).
 *
 * @throws {ConfigError} at once, for a missing authenticator or an unknown or mistyped option
 */
export function middleware(auth: Authenticator, options: ExpressMiddlewareOptions = {}): ExpressMiddleware {
  const { authenticator, scope, forwardTenantHeader, passErrors, sender } = middlewareSettings<ExpressRequestLike>('express', auth, options);
  // Express's protocol and host honour its `trust proxy` setting.
  sender.requestUrl ??= expressUrl;
  const answer = (request: ExpressRequestLike, response: ServerResponse, outcome: Outcome, next: (error?: unknown) => void) => {
    if (!(outcome instanceof AuthError)) {
      request.auth = outcome;
      forwardTenant(request, forwardTenantHeader, outcome);
      next();
    } else if (passErrors) {
      next(outcome);
    } else {
      const { status, headers, body } = errorResponse(outcome);
      response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    }
  };
  const metadata = metadataAnswerOf(authenticator);
  // A cached token calls `next` in the same tick.
  return (request, response, next) => {
    // The protected resource metadata is public (RFC 9728 §3): served before authenticating.
    if (metadata?.matches(request.method, (request as { originalUrl?: string }).originalUrl ?? request.url) === true) {
      response.writeHead(200, metadata.headers);
      response.end(metadata.body);
      return;
    }
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = authenticateRequest(authenticator, request, scopeFor(scope, request), request, sender);
    } catch (error) {
      next(error);
      return;
    }
    if (outcome instanceof Promise) whenSettled(outcome, (settled) => answer(request, response, settled, next), next);
    else answer(request, response, outcome, next);
  };
}

/**
 * The URL an Express request addressed, the way Express 5's `req.host` finds the host: the
 * `X-Forwarded-Host` header when `trust proxy` trusts the peer, else `Host`, port kept. Worked
 * out here rather than read from `req.host`, which Express 4 deprecates and strips of its port.
 * A bare Node request (no Express) is left to the default.
 */
function expressUrl(request: ExpressRequestLike): string | undefined {
  const express = request as ExpressRequestLike & {
    protocol?: string;
    originalUrl?: string;
    app?: { get?: (setting: string) => unknown };
  };
  if (typeof express.protocol !== 'string') return undefined;
  const trust = express.app?.get?.('trust proxy fn');
  const trusted = typeof trust === 'function' && (trust as (address: string | undefined, hop: number) => boolean)(request.socket.remoteAddress, 0);
  const forwarded = trusted ? firstValue(request.headers['x-forwarded-host']) : undefined;
  const host = forwarded ?? request.headers.host;
  return host === undefined ? undefined : `${express.protocol}://${host}${express.originalUrl ?? request.url}`;
}

/** The first of a header's comma-separated values (a proxy chain appends its own). */
function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}
