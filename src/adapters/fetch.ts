/**
 * For every runtime or framework built on Web `Request` and `Response`: Bun.serve, Deno.serve,
 * Next.js route handlers, Cloudflare-style `fetch` handlers.
 *
 * @example
 * ```ts
 * import { authenticateRequest, errorResponse, metadataResponse } from 'tenantgate/fetch';
 *
 * export async function handle(request: Request): Promise<Response> {
 *   const metadata = metadataResponse(auth, request);
 *   if (metadata !== undefined) return metadata;
 *   try {
 *     const result = await authenticateRequest(auth, request, { scope: 'metrics:read' });
 *     return Response.json({ tenant: result.tenant });
 *   } catch (error) {
 *     if (error instanceof AuthError) return errorResponse(error);
 *     throw error;
 *   }
 * }
 * ```
 * @packageDocumentation
 */
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import { middlewareSettings, type AdapterSettings } from './adapter-options.js';
import { AuthError } from '../base/errors.js';
import {
  ERROR_CONTENT_TYPE,
  errorResponse as refusalParts,
  metadataAnswerOf,
  scopeFor,
  targetOf,
  webOutcome,
  type MetadataAnswer,
  type Outcome,
  type ScopeOption,
} from './http.js';
import type { SenderOptions } from './request-details.js';

export type { ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';

/**
 * Options of {@link authenticateRequest}. There is no `forwardTenantHeader`: a Web request's
 * headers are the client's, and a handler that calls an upstream builds that request itself
 * (set the tenant header there from `result.tenant`).
 */
export interface FetchOptions {
  /** Scope the request needs, checked with `auth.authorize`: a string, or a function of the request. */
  scope?: ScopeOption<Request>;
  /**
   * The absolute URL the client addressed, which a DPoP proof names (`htu`), when it is not
   * `request.url`: behind a proxy that terminates TLS or rewrites the host or path.
   */
  requestUrl?: SenderOptions<Request>['requestUrl'];
  /**
   * The client certificate of an mTLS-bound token. A Web `Request` carries no TLS details, so
   * mTLS-bound tokens need this option (for example from a header your proxy sets).
   */
  clientCertificate?: SenderOptions<Request>['clientCertificate'];
}

// Checked once per options object (and once per authenticator without options): a handler
// usually passes the same constant on every request, and its mistakes fail the first one.
const checkedOptions = new WeakMap<object, AdapterSettings<Request>>();
const checkedDefaults = new WeakMap<object, AdapterSettings<Request>>();

function settingsOf(auth: Authenticator, options: FetchOptions | undefined): AdapterSettings<Request> {
  const memo = options === undefined ? checkedDefaults : checkedOptions;
  const key: unknown = options ?? auth;
  const known = typeof key === 'object' && key !== null ? memo.get(key) : undefined;
  if (known !== undefined && known.authenticator === auth) return known;
  const settings = middlewareSettings<Request>('fetch', auth, options);
  if (typeof key === 'object' && key !== null) memo.set(key, settings);
  return settings;
}

/**
 * Authenticates a Web `Request`: reads `Authorization`, the authenticator's `tenantHeader`,
 * and for DPoP the `DPoP` header, the method and `request.url`; then checks `scope`.
 * Repeated `Authorization` lines (joined with a comma by `Headers`) are a 400, as on Node.
 *
 * @returns the result; rejects with the `AuthError` of a refusal (answer it with
 * {@link errorResponse}), with a `ConfigError` for a missing authenticator or an unknown or
 * mistyped option, or with whatever a scope function throws
 */
export function authenticateRequest(auth: Authenticator, request: Request, options?: FetchOptions): Promise<AuthResult> {
  try {
    const { authenticator, scope, sender } = settingsOf(auth, options);
    const outcome = webOutcome(authenticator, request, scopeFor(scope, request), request, sender, undefined);
    if (outcome instanceof Promise) return outcome.then(settled);
    return outcome instanceof AuthError ? Promise.reject(outcome) : Promise.resolve(outcome);
  } catch (error) {
    return Promise.reject(error);
  }
}

function settled(outcome: Outcome): AuthResult {
  if (outcome instanceof AuthError) throw outcome;
  return outcome;
}

/**
 * The response for a refused request, byte for byte what the Express, Koa and Fastify
 * adapters send: the status, `WWW-Authenticate`, `Retry-After` on 503,
 * `Cache-Control: no-store`, and the JSON body `{ error, error_description }`.
 */
export function errorResponse(error: AuthError): Response {
  const { status, headers, body } = refusalParts(error);
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': ERROR_CONTENT_TYPE } });
}

const answers = new WeakMap<Authenticator, MetadataAnswer | null>();

/**
 * The protected resource metadata document (RFC 9728) when `request` asks for it (GET or HEAD
 * at its well-known path) and the authenticator has the `resourceMetadata` option; otherwise
 * `undefined`. The document is public: answer it before authenticating.
 */
export function metadataResponse(auth: Authenticator, request: Request): Response | undefined {
  let answer = answers.get(auth);
  if (answer === undefined) {
    answer = metadataAnswerOf(auth) ?? null;
    answers.set(auth, answer);
  }
  if (answer === null || !answer.matches(request.method, targetOf(request.url))) return undefined;
  return new Response(request.method === 'HEAD' ? null : answer.body, { status: 200, headers: answer.headers });
}
