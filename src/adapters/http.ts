import type { IncomingHttpHeaders } from 'node:http';
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import type { CredentialsInput } from '../credentials/credentials.js';
import { authenticateNow, requestNeedsOf } from '../authenticator/authenticate-now.js';
import { metadataEndpointOf } from '../authenticator/resource-metadata.js';
import {
  addRequestDetails,
  webCredentialsOf,
  type ClientCertificate,
  type NodeRequestDetails,
  type SenderOptions,
} from './request-details.js';
import { AuthError } from '../base/errors.js';

/** The parts of a Node request the adapters read. */
export interface NodeRequestLike {
  headers: IncomingHttpHeaders;
  /** Node keeps every header line here; `headers` drops repeated `Authorization` lines. */
  rawHeaders: string[];
}

/** A scope, or how to choose one per request (for example from the method). */
export type ScopeOption<Request> = string | ((request: Request) => string | undefined);

/**
 * Options every adapter takes. They are checked when the middleware is made (Fastify: when
 * the plugin registers): an unknown key, such as `scopes` for `scope`, or a value of the
 * wrong type is a `ConfigError` then, never a check silently skipped.
 */
export interface AdapterOptions<Request> {
  /** Scope each request needs, checked with `auth.authorize`. */
  scope?: ScopeOption<Request>;
  /**
   * After success, set this request header (such as `'x-scope-orgid'`) to the verified
   * tenant, replacing whatever the client sent, for an upstream such as Mimir, Loki or
   * Tempo. Removed when the credentials named no tenant.
   */
  forwardTenantHeader?: string;
  /** See {@link SenderOptions}: the request URL and client certificate behind a proxy. */
  requestUrl?: SenderOptions<Request>['requestUrl'];
  /** See {@link SenderOptions}. */
  clientCertificate?: SenderOptions<Request>['clientCertificate'];
}

/** What an adapter sends for a refused request. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/** Either the result or the refusal of one request. @internal */
export type Outcome = AuthResult | AuthError;

/**
 * Reads the credentials of a Node request. Repeated `Authorization` (or tenant) header
 * lines are passed on as an array, so that the core refuses them.
 */
export function credentialsOf(request: NodeRequestLike, tenantHeader: string | undefined): CredentialsInput {
  // Every member set, so that each input has one shape whatever the request carried.
  return {
    authorization: headerLines(request, 'authorization'),
    tenant: tenantHeader === undefined ? undefined : headerLines(request, tenantHeader),
    dpop: undefined,
    method: undefined,
    url: undefined,
    clientCertificate: undefined,
  };
}

/**
 * Authenticates a request and checks its scope; refusals are returned, not thrown. A
 * cached token is answered at once, without a promise, so that an adapter can go on in
 * the same tick.
 * @internal
 */
export function authenticateRequest<Request>(
  auth: Authenticator,
  request: NodeRequestLike & NodeRequestDetails,
  scope: string | undefined,
  frameworkRequest?: Request,
  sender: SenderOptions<Request> = {},
): Outcome | Promise<Outcome> {
  let input: CredentialsInput;
  try {
    input = credentialsOf(request, auth.tenantHeader);
    addRequestDetails(input, request, frameworkRequest ?? (request as Request), sender, requestNeedsOf(auth).certificate);
  } catch (error) {
    return refusalOf(error);
  }
  return outcomeOf(auth, input, scope);
}

/**
 * Authenticates credentials an adapter has read and checks the scope; refusals are returned,
 * not thrown, and a cached token is answered without a promise.
 * @internal
 */
export function outcomeOf(auth: Authenticator, input: CredentialsInput, scope: string | undefined): Outcome | Promise<Outcome> {
  let answer: AuthResult | Promise<AuthResult>;
  try {
    answer = authenticateNow(auth, input);
  } catch (error) {
    return refusalOf(error);
  }
  if (answer instanceof Promise) return answer.then((result) => authorized(auth, result, scope), refusalOf);
  return authorized(auth, answer, scope);
}

/**
 * Authenticates a Web request and checks its scope; refusals are returned, and a cached token
 * is answered without a promise, so that the Hono middleware goes on in the same tick.
 * `certificate` reads the client certificate from the connection, where the runtime exposes it.
 * @internal
 */
export function webOutcome<FrameworkRequest>(
  auth: Authenticator,
  request: Request,
  scope: string | undefined,
  frameworkRequest: FrameworkRequest,
  sender: SenderOptions<FrameworkRequest>,
  certificate: (() => ClientCertificate | undefined) | undefined,
): Outcome | Promise<Outcome> {
  let input: CredentialsInput;
  try {
    const needed = requestNeedsOf(auth).certificate ? (certificate ?? nothing) : undefined;
    input = webCredentialsOf(request, auth.tenantHeader, frameworkRequest, sender, needed);
  } catch (error) {
    return refusalOf(error);
  }
  return outcomeOf(auth, input, scope);
}

function nothing(): undefined {
  return undefined;
}

/** The path and query of an absolute URL, as a request line names them. @internal */
export function targetOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function authorized(auth: Authenticator, result: AuthResult, scope: string | undefined): Outcome {
  if (scope === undefined) return result;
  try {
    auth.authorize(result, { scope });
    return result;
  } catch (error) {
    return refusalOf(error);
  }
}

/** A refusal becomes the outcome; anything else is a bug and stays an error. */
function refusalOf(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  throw error;
}

/**
 * Hands the outcome of a request that had to wait to `answer`. Anything else thrown on the
 * way (a scope function, an authenticator wrapper, a scope that is not a string, `answer`
 * itself) goes to `fail`, the framework's error path, so that it never becomes an
 * unhandled rejection.
 * @internal
 */
export function whenSettled(
  pending: Promise<Outcome>,
  answer: (outcome: Outcome) => void,
  fail: (error: unknown) => void,
): void {
  pending.then((outcome) => {
    try {
      answer(outcome);
    } catch (error) {
      fail(error);
    }
  }, fail);
}

/** Replaces the forwarded tenant header with the verified tenant. @internal */
export function forwardTenant(request: NodeRequestLike, header: string | undefined, result: AuthResult): void {
  if (header === undefined) return;
  const name = header.toLowerCase();
  if (result.tenant === undefined) delete request.headers[name];
  else request.headers[name] = result.tenant;
  // Proxies that copy raw header lines must not see the client's value either.
  const raw = request.rawHeaders;
  for (let index = raw.length - 2; index >= 0; index -= 2) {
    if (raw[index]?.toLowerCase() === name) raw.splice(index, 2);
  }
  if (result.tenant !== undefined) raw.push(name, result.tenant);
}

/**
 * The response for a refused request: its status, `WWW-Authenticate`, `Retry-After` on
 * 503, `Cache-Control: no-store`, and a JSON body `{ error, error_description }` with the
 * error in RFC 6750 terms.
 */
export function errorResponse(error: AuthError): ErrorResponse {
  const headers: Record<string, string> = {
    'www-authenticate': error.wwwAuthenticate,
    'cache-control': 'no-store',
  };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  return {
    status: error.status,
    headers,
    body: { error: error.oauthError ?? 'unauthorized', error_description: error.message },
  };
}

/** The content type of a refusal's body, as every adapter sends it. @internal */
export const ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The answer to a request for the protected resource metadata (RFC 9728 §3.2). @internal */
export interface MetadataAnswer {
  /** The path the document is served at. */
  path: string;
  headers: Record<string, string>;
  /** The document as JSON (left out by Node for HEAD). */
  body: string;
  /**
   * Whether a request (its method and target: path and query) asks for the document: GET or
   * HEAD at its path, with the resource identifier's query when it has one.
   */
  matches(method: string | undefined, target: string | undefined): boolean;
}

/**
 * How to answer requests for `auth`'s protected resource metadata, or `undefined` when it
 * publishes none (the `resourceMetadata` option is not set). The path and document come from
 * the authenticator; the adapters only serve them, unauthenticated.
 * @internal
 */
export function metadataAnswerOf(auth: Authenticator): MetadataAnswer | undefined {
  const endpoint = metadataEndpointOf(auth);
  if (endpoint === undefined) return undefined;
  const { path, query, body } = endpoint;
  return {
    path,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
    matches(method, target) {
      if ((method !== 'GET' && method !== 'HEAD') || target === undefined) return false;
      const mark = target.indexOf('?');
      if ((mark === -1 ? target : target.slice(0, mark)) !== path) return false;
      return query === '' || (mark !== -1 && target.slice(mark) === query);
    },
  };
}

/** The scope for one request. @internal */
export function scopeFor<Request>(option: ScopeOption<Request> | undefined, request: Request): string | undefined {
  return typeof option === 'function' ? option(request) : option;
}

function headerLines(request: NodeRequestLike, name: string): string | string[] | undefined {
  const raw = request.rawHeaders;
  let first: string | undefined;
  let all: string[] | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const key = raw[index];
    if (key === undefined || key.length !== name.length || key.toLowerCase() !== name) continue;
    const value = raw[index + 1] ?? '';
    if (first === undefined) first = value;
    else (all ??= [first]).push(value);
  }
  if (first === undefined) {
    // A request built without raw lines (some test harnesses) still has `headers`.
    return request.headers[name];
  }
  return all ?? first;
}
