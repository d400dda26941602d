/**
 * A Fastify plugin (Fastify 4 and 5). Register it inside the encapsulation context whose
 * routes it should protect: routes outside that context stay public.
 *
 * @example
 * ```ts
 * import tenantgate from 'tenantgate/fastify';
 *
 * app.register(async (scope) => {
 *   await scope.register(tenantgate, { authenticator: auth, scope: 'metrics:read' });
 *   scope.get('/metrics', async (request) => ({ tenant: request.auth.tenant }));
 * });
 * ```
 * @packageDocumentation
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthResult, Authenticator } from '../authenticator/authenticator-types.js';
import { pluginSettings } from './adapter-options.js';
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

export type { AdapterOptions, ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by tenantgate on every request its hook accepted (`null` outside its context). */
    auth: AuthResult;
  }
}

/**
 * Options of the Fastify plugin, checked when it registers: a missing authenticator or an
 * unknown or mistyped option makes `register()` and `ready()` reject with a `ConfigError`.
 * Fastify's own register options (`prefix`, `logLevel`, `logSerializers`) are allowed.
 */
export interface TenantgateFastifyOptions extends AdapterOptions<FastifyRequest> {
  /** The authenticator to use, from `createAuthenticator`. */
  authenticator: Authenticator;
}

const plugin: FastifyPluginAsync<TenantgateFastifyOptions> = async (fastify, options) => {
  // Checked here, so that a bad option makes `register()` and `ready()` reject.
  const { authenticator, scope, forwardTenantHeader, sender } = pluginSettings<FastifyRequest>(options);
  // Fastify's protocol and host honour its `trustProxy` setting; Fastify 4 has no `host`, and
  // its `hostname` keeps the port.
  sender.requestUrl ??= (request) => `${request.protocol}://${(request as { host?: string }).host ?? request.hostname}${request.url}`;
  // Fastify wants every request decoration declared up front; null until the hook sets it.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null as unknown as AuthResult);
  const answer = (request: FastifyRequest, reply: FastifyReply, outcome: Outcome, done: (error?: Error) => void): void => {
    if (outcome instanceof AuthError) {
      const { status, headers, body } = errorResponse(outcome);
      reply.code(status).headers(headers).send(body);
      return;
    }
    request.auth = outcome;
    forwardTenant(request.raw, forwardTenantHeader, outcome);
    done();
  };
  // The protected resource metadata, public (RFC 9728 §3), at its path from the host: not in a
  // prefixed context, where Fastify would put the route under the prefix, nor twice.
  const metadata = metadataAnswerOf(authenticator);
  const served = metadata !== undefined && fastify.prefix === '' && fastify.hasRoute({ method: 'GET', url: metadata.path }) !== true;
  if (served) {
    fastify.route({ method: ['GET', 'HEAD'], url: metadata.path, handler: (_request, reply) => reply.headers(metadata.headers).send(metadata.body) });
  }
  // A callback hook, not an async one: a cached token goes on in the same tick.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (served && metadata.matches(request.method, request.url)) {
      done();
      return;
    }
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = authenticateRequest(authenticator, request.raw, scopeFor(scope, request), request, sender);
    } catch (error) {
      done(asError(error));
      return;
    }
    if (outcome instanceof Promise) {
      whenSettled(outcome, (settled) => answer(request, reply, settled, done), (error) => done(asError(error)));
    } else {
      answer(request, reply, outcome, done);
    }
  });
};

/** Anything but a refusal goes to Fastify's error handling, which expects an Error. */
function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * The tenantgate Fastify plugin: decorates `request.auth` and adds an `onRequest` hook. With
 * `resourceMetadata`, it also adds a GET and HEAD route serving the document at its well-known
 * path, unauthenticated, unless it is registered under a `prefix` (the path must start at the host).
 */
export const tenantgate = fp(plugin, { name: 'tenantgate', fastify: '4.x || 5.x' });
export default tenantgate;
