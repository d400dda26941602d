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
import type { AuthResult, Authenticator } from '../authenticator.js';
import { AuthError } from '../errors.js';
import {
  authenticateRequest,
  errorResponse,
  forwardTenant,
  scopeFor,
  type AdapterOptions,
  type Outcome,
} from '../http.js';

export type { AdapterOptions, ScopeOption } from '../http.js';

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
 */
export function middleware(auth: Authenticator, options: ExpressMiddlewareOptions = {}): ExpressMiddleware {
  const answer = (request: ExpressRequestLike, response: ServerResponse, outcome: Outcome, next: (error?: unknown) => void) => {
    if (!(outcome instanceof AuthError)) {
      request.auth = outcome;
      forwardTenant(request, options.forwardTenantHeader, outcome);
      next();
    } else if (options.passErrors) {
      next(outcome);
    } else {
      const { status, headers, body } = errorResponse(outcome);
      response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    }
  };
  // A cached token calls `next` in the same tick.
  return (request, response, next) => {
    const outcome = authenticateRequest(auth, request, scopeFor(options.scope, request));
    if (outcome instanceof Promise) outcome.then((settled) => answer(request, response, settled, next), next);
    else answer(request, response, outcome, next);
  };
}
