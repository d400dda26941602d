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
import { authenticateRequest, errorResponse, forwardTenant, scopeFor, type AdapterOptions } from '../http.js';

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
  return (request, response, next) => {
    authenticateRequest(auth, request, scopeFor(options.scope, request)).then((outcome) => {
      if (outcome.error === undefined) {
        request.auth = outcome.result;
        forwardTenant(request, options.forwardTenantHeader, outcome.result);
        next();
      } else if (options.passErrors) {
        next(outcome.error);
      } else {
        const { status, headers, body } = errorResponse(outcome.error);
        response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(body));
      }
    }, next);
  };
}
