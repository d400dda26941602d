import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from '../../base/errors.js';
import { authenticateRequest, errorResponse, forwardTenant, scopeFor, type Outcome, type ScopeOption } from '../http.js';
import type { SenderOptions } from '../request-details.js';
import { nodeRequestOf, platformUrl, setHeaders, type PlatformResponse } from './platform.js';
import { SCOPE_METADATA, TENANTGATE_SETTINGS, type NestRequest, type NestSettings } from './tokens.js';

/**
 * A refused request, as the guard throws it: Nest's exception filter sends its status and its
 * body `{ error, error_description }`, the bytes every tenantgate adapter sends; the guard has
 * already set `WWW-Authenticate`, `Cache-Control` and (503) `Retry-After` on the response.
 * An exception filter of your own sees it too: `refusal.authError` is the `AuthError`.
 */
export class TenantgateRefusal extends HttpException {
  /** Why the request was refused. */
  readonly authError: AuthError;

  constructor(error: AuthError) {
    super(errorResponse(error).body, error.status, { cause: error, description: error.message });
    this.authError = error;
  }
}

/**
 * Authenticates each request of the routes it guards (`@UseGuards(TenantgateGuard)`, or every
 * route as an `APP_GUARD`), checks the scope of `@RequireScope()` (the handler's, else the
 * controller's, else the module's `scope`), and sets the result for `@Auth()`. A refusal is a
 * {@link TenantgateRefusal}. HTTP only: other contexts (WebSocket, microservices) are an error.
 */
export class TenantgateGuard implements CanActivate {
  private readonly sender: SenderOptions<NestRequest>;

  /** Nest makes the guard, with the module's settings. @internal */
  constructor(
    private readonly settings: NestSettings,
    private readonly reflector: Reflector,
  ) {
    // The platform's protocol and host honour its proxy settings.
    this.sender = { ...settings.sender, requestUrl: settings.sender.requestUrl ?? platformUrl };
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new Error(`TenantgateGuard protects HTTP routes only; it guarded a ${context.getType()} context.`);
    }
    const http = context.switchToHttp();
    const request = http.getRequest<NestRequest>();
    const response = http.getResponse<PlatformResponse>();
    const { authenticator } = this.settings;
    const chosen = this.reflector.getAllAndOverride<ScopeOption<NestRequest> | undefined>(SCOPE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const node = nodeRequestOf(request);
    const outcome = authenticateRequest(authenticator, node, scopeFor(chosen ?? this.settings.scope, request), request, this.sender);
    // A cached token is answered without a promise.
    if (outcome instanceof Promise) return outcome.then((settled) => this.answer(request, response, settled));
    return this.answer(request, response, outcome);
  }

  private answer(request: NestRequest, response: PlatformResponse, outcome: Outcome): true {
    if (outcome instanceof AuthError) {
      setHeaders(response, errorResponse(outcome).headers);
      throw new TenantgateRefusal(outcome);
    }
    request.auth = outcome;
    forwardTenant(nodeRequestOf(request), this.settings.forwardTenantHeader, outcome);
    return true;
  }
}

// Decorated by hand: esbuild and plain JavaScript emit no decorator metadata, so each
// constructor parameter names its provider.
Injectable()(TenantgateGuard);
Inject(TENANTGATE_SETTINGS)(TenantgateGuard, undefined, 0);
Inject(Reflector)(TenantgateGuard, undefined, 1);
