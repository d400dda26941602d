import { z } from 'zod';
import type { Authenticator } from '../authenticator/authenticator-types.js';
import { ConfigError } from '../base/errors.js';
import type { ScopeOption } from './http.js';
import type { SenderOptions } from './request-details.js';
import { describeProblems, describeValue, type OptionVocabulary } from '../base/problem-sentences.js';

/** What an adapter keeps of its options once they are checked. @internal */
export interface AdapterSettings<Request> {
  authenticator: Authenticator;
  scope: ScopeOption<Request> | undefined;
  forwardTenantHeader: string | undefined;
  passErrors: boolean;
  sender: SenderOptions<Request>;
}

type Adapter = 'express' | 'koa' | 'fastify' | 'fetch' | 'hono' | 'nest';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const common = {
  scope: z.union([z.string().min(1), z.function()]).optional(),
  forwardTenantHeader: z
    .string()
    .regex(HEADER_NAME)
    .refine((name) => name.toLowerCase() !== 'authorization', 'cannot be "authorization": it would replace the credentials')
    .optional(),
  requestUrl: z.function().optional(),
  clientCertificate: z.function().optional(),
};

// Fastify hands the plugin its own register options (`prefix`, `logLevel`, `logSerializers`) too.
const schemas: Record<Adapter, z.ZodType> = {
  express: z.strictObject({ ...common, passErrors: z.boolean().optional() }),
  koa: z.strictObject(common),
  fastify: z.strictObject({
    ...common,
    authenticator: z.unknown().optional(),
    prefix: z.unknown().optional(),
    logLevel: z.unknown().optional(),
    logSerializers: z.unknown().optional(),
  }),
  // A Web request has no header to forward into: the caller builds the upstream request.
  fetch: z.strictObject({ scope: common.scope, requestUrl: common.requestUrl, clientCertificate: common.clientCertificate }),
  hono: z.strictObject({ scope: common.scope, requestUrl: common.requestUrl, clientCertificate: common.clientCertificate }),
  nest: z.strictObject({ ...common, authenticator: z.unknown().optional() }),
};

const KEYS: Record<Adapter, string[]> = {
  express: ['scope', 'forwardTenantHeader', 'requestUrl', 'clientCertificate', 'passErrors'],
  koa: ['scope', 'forwardTenantHeader', 'requestUrl', 'clientCertificate'],
  fastify: ['authenticator', 'scope', 'forwardTenantHeader', 'requestUrl', 'clientCertificate'],
  fetch: ['scope', 'requestUrl', 'clientCertificate'],
  hono: ['scope', 'requestUrl', 'clientCertificate'],
  nest: ['authenticator', 'scope', 'forwardTenantHeader', 'requestUrl', 'clientCertificate'],
};

const EXPECTED = {
  '': 'an object such as { scope: "metrics:read" }',
  scope: 'a scope such as "metrics:read", or a function of the request returning one',
  forwardTenantHeader: 'an HTTP header name such as "x-scope-orgid"',
  passErrors: 'true or false',
  requestUrl: 'a function of the request returning the absolute URL the client addressed',
  clientCertificate: 'a function of the request returning the client certificate (X509Certificate, PEM or DER)',
};

const AUTHENTICATOR = 'an authenticator made by createAuthenticator()';

/**
 * Checks the options of the Express, Koa or Hono middleware (or of the fetch adapter's
 * `authenticateRequest`), and its authenticator, once, when the middleware is made: a
 * misspelt option must fail at start-up, not quietly drop a check, and a missing
 * authenticator must not become a 500 on every request.
 * @throws {ConfigError} listing every problem
 * @internal
 */
export function middlewareSettings<Request>(adapter: 'express' | 'koa' | 'fetch' | 'hono', auth: unknown, options: unknown): AdapterSettings<Request> {
  const problems = optionProblems(adapter, options);
  const call = adapter === 'fetch' ? 'authenticateRequest()' : 'middleware()';
  if (!isAuthenticator(auth)) {
    problems.unshift(
      auth === undefined
        ? `The authenticator is required: pass ${AUTHENTICATOR} as the first argument of ${call}.`
        : `The first argument of ${call} must be ${AUTHENTICATOR}; got ${describeValue(auth)}.`,
    );
  }
  return settings(auth, options, problems);
}

/**
 * Checks the options the Fastify plugin is registered with, when it registers, so that
 * `register()` and `ready()` reject.
 * @throws {ConfigError} listing every problem
 * @internal
 */
export function pluginSettings<Request>(options: unknown): AdapterSettings<Request> {
  return settingsWithAuthenticator('fastify', options);
}

/**
 * Checks the options given to `TenantgateModule.forRoot` (or returned by the factory of
 * `forRootAsync`), so that a bad option fails the application's start.
 * @throws {ConfigError} listing every problem
 * @internal
 */
export function moduleSettings<Request>(options: unknown): AdapterSettings<Request> {
  return settingsWithAuthenticator('nest', options);
}

/** Options that carry the authenticator among them (the Fastify plugin's, the Nest module's). */
function settingsWithAuthenticator<Request>(adapter: 'fastify' | 'nest', options: unknown): AdapterSettings<Request> {
  const problems = optionProblems(adapter, options);
  const auth = isObject(options) ? options.authenticator : undefined;
  if (!isAuthenticator(auth)) {
    problems.unshift(
      auth === undefined
        ? `\`authenticator\` is required: it must be ${AUTHENTICATOR}.`
        : `\`authenticator\` must be ${AUTHENTICATOR}; got ${describeValue(auth)}.`,
    );
  }
  return settings(auth, options, problems);
}

/**
 * Checks a scope given to a decorator such as `@RequireScope()`, when the class is decorated.
 * @throws {ConfigError}
 * @internal
 */
export function checkedScope<Request>(scope: unknown, where: string): ScopeOption<Request> {
  const parsed = common.scope.unwrap().safeParse(scope, { reportInput: true });
  if (parsed.success) return scope as ScopeOption<Request>;
  const shown = scope === undefined ? 'nothing' : describeValue(scope, true);
  throw new ConfigError([`${where} takes ${EXPECTED.scope}; got ${shown}.`]);
}

function optionProblems(adapter: Adapter, options: unknown): string[] {
  // The raw options are kept when they pass: zod would wrap a scope function in a re-parser.
  const parsed = schemas[adapter].safeParse(options === undefined ? {} : options, { reportInput: true });
  if (parsed.success) return [];
  const vocabulary: OptionVocabulary = { whole: 'The options', quoteValues: true, expected: EXPECTED, keys: { '': KEYS[adapter] } };
  return describeProblems(parsed.error.issues, vocabulary);
}

function settings<Request>(auth: unknown, options: unknown, problems: string[]): AdapterSettings<Request> {
  if (problems.length > 0 || !isAuthenticator(auth)) throw new ConfigError(problems);
  // Copied now: changing the options object later must not change what is enforced.
  const checked = (options === undefined ? {} : options) as {
    scope?: ScopeOption<Request>;
    forwardTenantHeader?: string;
    passErrors?: boolean;
  } & SenderOptions<Request>;
  const sender: SenderOptions<Request> = {};
  if (checked.requestUrl !== undefined) sender.requestUrl = checked.requestUrl;
  if (checked.clientCertificate !== undefined) sender.clientCertificate = checked.clientCertificate;
  return {
    authenticator: auth,
    scope: checked.scope,
    forwardTenantHeader: checked.forwardTenantHeader,
    passErrors: checked.passErrors === true,
    sender,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** What the adapters call: `authenticate` (or the registered fast path) and `authorize`. */
function isAuthenticator(value: unknown): value is Authenticator {
  return isObject(value) && typeof value.authenticate === 'function' && typeof value.authorize === 'function';
}
