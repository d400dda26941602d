/**
 * Koa middleware (Koa 2 and 3).
 *
 * @example
 * ```ts
 * import { middleware } from 'tenantgate/koa';
 *
 * app.use(middleware(auth, { scope: (ctx) => (ctx.method === 'GET' ? 'metrics:read' : 'metrics:write') }));
 * app.use((ctx) => { ctx.body = { tenant: ctx.state.auth?.tenant }; });
 * ```
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import type {} from 'koa';
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import { middlewareSettings } from './adapter-options.js';
import { AuthError } from '../base/errors.js';
import {
  authenticateRequest,
  errorResponse,
  forwardTenant,
  metadataAnswerOf,
  scopeFor,
  type AdapterOptions,
  type Outcome,
} from './http.js';

export type { AdapterOptions, ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';

declare module 'koa' {
  interface DefaultState {
    /** Set by tenantgate's middleware on accepted requests. */
    auth?: AuthResult;
  }
}

/** The context as the middleware sees it: Koa's context, structurally. */
export interface KoaContextLike {
  req: IncomingMessage;
  method: string;
  path: string;
  state: { auth?: AuthResult };
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/** Options of the Koa {@link middleware}. */
export type KoaMiddlewareOptions = AdapterOptions<KoaContextLike>;

/** A Koa middleware. */
export type KoaMiddleware = (context: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/**
 * Authenticates each request, sets `ctx.state.auth`, and answers refusals with their
 * status, `WWW-Authenticate`, `Retry-After` (503) and a JSON `{ error, error_description }`.
 * Anything else that fails on the way (a scope function that throws) rejects the returned
 * promise, for Koa's error handling. With `resourceMetadata`, it answers GET and HEAD at the
 * document's well-known path itself, unauthenticated.
 *
 * @throws {ConfigError} at once, for a missing authenticator or an unknown or mistyped option
 */
export function middleware(auth: Authenticator, options: KoaMiddlewareOptions = {}): KoaMiddleware {
  const { authenticator, scope, forwardTenantHeader, sender } = middlewareSettings<KoaContextLike>('koa', auth, options);
  // Koa's origin honours `app.proxy` (X-Forwarded-Proto and -Host) as the application chose.
  sender.requestUrl ??= koaUrl;
  const answer = (context: KoaContextLike, next: () => Promise<unknown>, outcome: Outcome): Promise<void> => {
    if (outcome instanceof AuthError) {
      const { status, headers, body } = errorResponse(outcome);
      context.status = status;
      for (const [name, value] of Object.entries(headers)) context.set(name, value);
      context.body = body;
      return Promise.resolve();
    }
    context.state.auth = outcome;
    forwardTenant(context.req, forwardTenantHeader, outcome);
    return next().then(nothing);
  };
  const metadata = metadataAnswerOf(authenticator);
  // Not an async function: a cached token goes on to `next` without an extra await.
  return (context, next) => {
    // The protected resource metadata is public (RFC 9728 §3): served before authenticating.
    if (metadata?.matches(context.method, (context as { originalUrl?: string }).originalUrl ?? context.req.url) === true) {
      context.status = 200;
      context.set('content-type', metadata.headers['content-type'] as string);
      context.body = metadata.body;
      return Promise.resolve();
    }
    try {
      const outcome = authenticateRequest(authenticator, context.req, scopeFor(scope, context), context, sender);
      if (outcome instanceof Promise) return outcome.then((settled) => answer(context, next, settled));
      return answer(context, next, outcome);
    } catch (error) {
      // A rejection, never a throw, whoever composes the middleware.
      return Promise.reject(error);
    }
  };
}

function nothing(): void {}

/** The URL a Koa request addressed. */
function koaUrl(context: KoaContextLike): string | undefined {
  const koa = context as KoaContextLike & { origin?: string; originalUrl?: string };
  return typeof koa.origin === 'string' && typeof koa.originalUrl === 'string' ? `${koa.origin}${koa.originalUrl}` : undefined;
}
