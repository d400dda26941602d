import { Inject, Optional, type DynamicModule, type ModuleMetadata, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { z } from 'zod';
import type { Authenticator } from '../../authenticator/authenticator-types.js';
import { ConfigError } from '../../base/errors.js';
import { describeProblems } from '../../base/problem-sentences.js';
import { moduleSettings } from '../adapter-options.js';
import { metadataAnswerOf, type AdapterOptions } from '../http.js';
import { TenantgateGuard } from './tenantgate-guard.js';
import { TENANTGATE_AUTHENTICATOR, TENANTGATE_SETTINGS, type NestRequest, type NestSettings } from './tokens.js';

/** Options of {@link TenantgateModule.forRoot}, checked when the module is made. */
export interface TenantgateModuleOptions extends AdapterOptions<NestRequest> {
  /** The authenticator to use, from `createAuthenticator`; the application closes it. */
  authenticator: Authenticator;
}

/** Options of {@link TenantgateModule.forRootAsync}: a factory of the module options. */
export interface TenantgateModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Makes the options, from the providers named in `inject`. */
  useFactory: (...args: never[]) => TenantgateModuleOptions | Promise<TenantgateModuleOptions>;
  /** Providers handed to `useFactory`, in order. */
  inject?: unknown[];
}

const ASYNC_OPTIONS = z.strictObject({
  useFactory: z.function(),
  inject: z.array(z.unknown()).optional(),
  imports: z.array(z.unknown()).optional(),
});

const ASYNC_VOCABULARY = {
  whole: 'The options of forRootAsync()',
  quoteValues: true,
  expected: {
    '': 'an object such as { useFactory: (config) => ({ authenticator }), inject: [ConfigService] }',
    useFactory: 'a function returning the module options (or a promise of them)',
    inject: 'a list of providers handed to useFactory',
    imports: 'a list of modules',
  },
  keys: { '': ['useFactory', 'inject', 'imports'] },
};

/** Paths whose metadata route an HTTP adapter already serves: two modules on one app add it once. */
const served = new WeakMap<object, Set<string>>();

/**
 * The tenantgate module, global once imported: it provides {@link TenantgateGuard} and the
 * authenticator (`TENANTGATE_AUTHENTICATOR`) to every module of the application. With
 * `resourceMetadata`, it also serves the protected resource metadata (RFC 9728) on GET and
 * HEAD at its well-known path, unauthenticated.
 */
export class TenantgateModule implements OnModuleInit {
  /** Nest makes the module, with its settings. @internal */
  constructor(
    private readonly settings: NestSettings,
    private readonly host: HttpAdapterHost | undefined,
  ) {}

  /**
   * The module for these options.
   * @throws {ConfigError} at once, for a missing authenticator or an unknown or mistyped option
   */
  static forRoot(options: TenantgateModuleOptions): DynamicModule {
    return moduleOf([{ provide: TENANTGATE_SETTINGS, useValue: moduleSettings<NestRequest>(options) }], []);
  }

  /**
   * The module with options made by a factory, such as from a `ConfigService`: the factory's
   * options are checked when it has run, so that a bad one fails the application's start.
   * @throws {ConfigError} at once, when these options themselves are not what it takes
   */
  static forRootAsync(options: TenantgateModuleAsyncOptions): DynamicModule {
    const parsed = ASYNC_OPTIONS.safeParse(options, { reportInput: true });
    if (!parsed.success) throw new ConfigError(describeProblems(parsed.error.issues, ASYNC_VOCABULARY));
    const { useFactory, inject = [], imports = [] } = options;
    const settings = {
      provide: TENANTGATE_SETTINGS,
      useFactory: async (...args: never[]) => moduleSettings<NestRequest>(await useFactory(...args)),
      inject: inject as never[],
    };
    return moduleOf([settings], imports);
  }

  /** Adds the metadata route; before Nest's not-found handler, after the controllers' routes. */
  onModuleInit(): void {
    const adapter = this.host?.httpAdapter;
    const metadata = metadataAnswerOf(this.settings.authenticator);
    if (adapter === undefined || metadata === undefined) return;
    const paths = served.get(adapter) ?? new Set<string>();
    served.set(adapter, paths);
    if (paths.has(metadata.path)) return;
    paths.add(metadata.path);
    adapter.get(metadata.path, (request: MetadataRequest, response: MetadataResponse, next?: unknown) => {
      const node = request.raw ?? request;
      if (!metadata.matches(node.method, request.originalUrl ?? node.url)) {
        if (typeof next === 'function') (next as () => void)();
        else response.callNotFound?.();
        return;
      }
      // Fastify's reply, or Node's response under Express.
      if (typeof response.send === 'function' && response.raw !== undefined) response.headers?.(metadata.headers).send(metadata.body);
      else response.writeHead?.(200, metadata.headers).end(metadata.body);
    });
  }
}

interface MetadataRequest {
  raw?: { method?: string; url?: string };
  method?: string;
  url?: string;
  originalUrl?: string;
}

interface MetadataResponse {
  raw?: unknown;
  send?: (body: string) => unknown;
  headers?: (values: Record<string, string>) => { send(body: string): unknown };
  callNotFound?: () => void;
  writeHead?: (status: number, headers: Record<string, string>) => { end(body: string): unknown };
}

function moduleOf(settings: DynamicModule['providers'] & object, imports: unknown[]): DynamicModule {
  return {
    module: TenantgateModule,
    global: true,
    imports: imports as DynamicModule['imports'],
    providers: [
      ...settings,
      { provide: TENANTGATE_AUTHENTICATOR, useFactory: (checked: NestSettings) => checked.authenticator, inject: [TENANTGATE_SETTINGS] },
      TenantgateGuard,
    ],
    exports: [TENANTGATE_SETTINGS, TENANTGATE_AUTHENTICATOR, TenantgateGuard],
  };
}

// Decorated by hand, as the guard is: no decorator metadata to rely on.
Inject(TENANTGATE_SETTINGS)(TenantgateModule, undefined, 0);
Inject(HttpAdapterHost)(TenantgateModule, undefined, 1);
Optional()(TenantgateModule, undefined, 1);
