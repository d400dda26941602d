// Applies label enforcement (label-enforcement.js) to the Prometheus read API going through
// the gateway: `query`, `query_range`, `series`, `labels` and `label/<name>/values`, under every
// path prefix (Mimir serves them under /prometheus). Prometheus reads parameters from the URL
// and, on POST, from a form body too, so both are rewritten and re-encoded: the upstream then
// sees exactly what was checked. Unrestricted tenants pass untouched; a restricted tenant may
// use only these read endpoints (and query_exemplars) and the write endpoints, since any other
// read (metadata, remote read, cardinality, ...) could return series its selectors exclude.
import { posix } from 'node:path';
import { enforceMatchers, enforceSelectors } from './label-enforcement.js';

const FORM = 'application/x-www-form-urlencoded';
/** Larger forms are refused rather than passed on unread. */
const MAX_FORM_BYTES = 1024 * 1024;
const QUERY_PATH = /\/api\/v1\/(?:query|query_range|query_exemplars)$/;
/** Writes: label policies restrict what a tenant reads, the write scope what it writes. */
const WRITE_PATH = /\/(?:api\/v1\/push|otlp\/v1\/metrics)$/;
const MATCH_PATH = /\/api\/v1\/(?:series|labels|label\/.+\/values)$/;

/**
 * @typedef {import('fastify').FastifyRequest} Request
 * @typedef {import('fastify').FastifyReply} Reply
 * @typedef {'query' | 'match'} Endpoint
 * @typedef {{ refused: string } | { invalid: string }} Failure
 */

/**
 * The hook and the `queryString` option of @fastify/reply-from that together rewrite the
 * requests of restricted tenants. Register `preHandler` after tenantgate (it reads
 * `request.auth`) and pass `queryString` in the proxy's `replyOptions`.
 */
export function labelPolicy() {
  /** @type {WeakMap<object, string>} */
  const rewritten = new WeakMap();

  /**
   * @param {Request} request
   * @param {Reply} reply
   */
  async function preHandler(request, reply) {
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    const endpoint = endpointOf(path);
    if (endpoint === 'write') return;
    const restriction = restrictionOf(request.auth);
    if ('refused' in restriction) return refuse(reply, 403, restriction.refused);
    const { selectors } = restriction;
    if (selectors === null) return;
    if (endpoint === undefined) {
      return refuse(reply, 403, 'this endpoint cannot be limited to the label policy of the tenant; use query, query_range, query_exemplars, series, labels or label values');
    }
    if (endpoint === 'undecodable') return refuse(reply, 400, 'the request path is not valid percent-encoding');
    if (!['GET', 'HEAD', 'POST'].includes(request.method)) {
      reply.header('allow', 'GET, HEAD, POST');
      return refuse(reply, 405, `${request.method} is not a query method; use GET or POST`);
    }
    const form = request.method === 'POST' ? await formOf(request) : { params: undefined };
    if ('status' in form) return refuse(reply, form.status, form.reason);

    const url = new URLSearchParams(queryAt === -1 ? '' : request.url.slice(queryAt + 1));
    // Prometheus joins the match[] of the URL and of the body; the tenant's own selector
    // is added only when neither has one, or it would widen what the client asked for.
    const addMatch = !url.has('match[]') && !form.params?.has('match[]');
    const inUrl = enforceParams(url, endpoint, selectors, addMatch);
    if (!('params' in inUrl)) return fail(reply, inUrl);
    if (form.params !== undefined) {
      const inBody = enforceParams(form.params, endpoint, selectors, false);
      if (!('params' in inBody)) return fail(reply, inBody);
      // reply-from sends a Buffer body with its own Content-Length; a chunked framing
      // header from the client would contradict it.
      delete request.raw.headers['transfer-encoding'];
      request.body = Buffer.from(inBody.params.toString());
    }
    rewritten.set(request, inUrl.params.toString());
    return undefined;
  }

  /**
   * @param {string | undefined} search the query string reply-from would send, with its `?`
   * @param {string} requestUrl
   * @param {object} request the Fastify request
   */
  function queryString(search, requestUrl, request) {
    const own = rewritten.get(request);
    if (own !== undefined) return own;
    if (search !== undefined && search.length > 0) return search.slice(1);
    const queryAt = requestUrl.indexOf('?');
    return queryAt === -1 ? '' : requestUrl.slice(queryAt + 1);
  }

  return { preHandler, queryString };
}

/**
 * Which enforced endpoint `rawPath` reaches once decoded and normalized the way a Go router
 * sees it (`/api/v1/%71uery`, `//api/v1/query/` and `/x/../api/v1/query` all reach `query`).
 *
 * @param {string} rawPath
 * @returns {Endpoint | 'write' | 'undecodable' | undefined}
 */
export function endpointOf(rawPath) {
  let path;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return 'undecodable';
  }
  path = posix.normalize(path).replace(/\/+$/, '');
  if (QUERY_PATH.test(path)) return 'query';
  if (MATCH_PATH.test(path)) return 'match';
  if (WRITE_PATH.test(path)) return 'write';
  return undefined;
}

/**
 * The scope a request needs: reading for GET and HEAD and for the read endpoints, which Grafana
 * and Prometheus clients also call with POST; writing for anything else.
 *
 * @param {{ method: string, url: string }} request
 */
export function scopeFor(request) {
  if (request.method === 'GET' || request.method === 'HEAD') return 'metrics:read';
  const queryAt = request.url.indexOf('?');
  const endpoint = endpointOf(queryAt === -1 ? request.url : request.url.slice(0, queryAt));
  return endpoint === 'query' || endpoint === 'match' ? 'metrics:read' : 'metrics:write';
}

/**
 * The selectors to enforce for the request's tenants, `null` when unrestricted. A query
 * across several tenants (federation, `a|b`) would need different selectors per tenant in
 * one query, so it is refused as soon as one of them is restricted.
 *
 * @param {import('tenantgate').AuthResult} auth
 * @returns {{ selectors: string[] | null } | { refused: string }}
 */
export function restrictionOf(auth) {
  if (auth.tenants.length === 0) return { refused: 'the request names no tenant, so its label policy cannot be looked up' };
  const lists = auth.tenants.map((tenant) => auth.accessPolicy.selectorsFor(tenant));
  if (lists.every((list) => list === null)) return { selectors: null };
  if (lists.length > 1) {
    return { refused: 'label policies cannot be enforced on a query across several tenants; query each tenant on its own' };
  }
  return { selectors: lists[0] ?? [] };
}

/**
 * Rewrites the `query` parameters (query endpoints) or the `match[]` parameters (series and
 * label endpoints) of `params`; every other parameter is kept as it is.
 *
 * @param {URLSearchParams} params
 * @param {Endpoint} endpoint
 * @param {string[]} selectors
 * @param {boolean} addMissingMatch
 * @returns {{ params: URLSearchParams } | Failure}
 */
export function enforceParams(params, endpoint, selectors, addMissingMatch) {
  const out = new URLSearchParams();
  if (endpoint === 'query') {
    for (const [key, value] of params) {
      const outcome = key === 'query' ? enforceSelectors(value, selectors) : { query: value };
      if (!('query' in outcome)) return outcome;
      out.append(key, outcome.query);
    }
    return { params: out };
  }
  const matches = params.getAll('match[]');
  if (matches.length === 0 && !addMissingMatch) return { params };
  const outcome = enforceMatchers(matches, selectors);
  if (!('matches' in outcome)) return outcome;
  for (const [key, value] of params) if (key !== 'match[]') out.append(key, value);
  for (const match of outcome.matches) out.append('match[]', match);
  return { params: out };
}

/**
 * The form body of a POST. Go's servers read a body as parameters only when it is a form
 * (url-encoded, or multipart for Prometheus' FormValue): every other body type is refused
 * rather than passed on unchecked.
 *
 * @param {Request} request
 * @returns {Promise<{ params: URLSearchParams | undefined } | { status: number, reason: string }>}
 */
async function formOf(request) {
  const headers = request.headers;
  const type = String(headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  if (type !== FORM) {
    return hasBody ? { status: 415, reason: `a query body must be ${FORM}` } : { params: undefined };
  }
  if (headers['content-encoding'] !== undefined) return { status: 415, reason: 'a query body must not be compressed' };
  const text = await textOf(request.body);
  if (text === undefined) return { status: 413, reason: `a query body must be at most ${MAX_FORM_BYTES} bytes` };
  return { params: new URLSearchParams(text) };
}

/**
 * The body as text: the proxy hands bodies over as the raw request stream.
 *
 * @param {unknown} body
 * @returns {Promise<string | undefined>}
 */
async function textOf(body) {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body.length > MAX_FORM_BYTES ? undefined : body.toString();
  if (body === null || body === undefined) return '';
  const chunks = [];
  let size = 0;
  for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (body)) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * @param {Reply} reply
 * @param {Failure} failure
 */
function fail(reply, failure) {
  return 'invalid' in failure ? refuse(reply, 400, failure.invalid) : refuse(reply, 403, failure.refused);
}

/**
 * Answers in tenantgate's error shape. 403 uses `insufficient_scope`, like tenantgate's own
 * refusals of a tenant the token may not read.
 *
 * @param {Reply} reply
 * @param {number} status
 * @param {string} description
 */
function refuse(reply, status, description) {
  const error = status === 403 ? 'insufficient_scope' : 'invalid_request';
  return reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });
}
