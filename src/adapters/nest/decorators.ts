import { createParamDecorator, SetMetadata, type CustomDecorator, type ExecutionContext } from '@nestjs/common';
import { checkedScope } from '../adapter-options.js';
import type { ScopeOption } from '../http.js';
import { SCOPE_METADATA, type NestRequest } from './tokens.js';

/**
 * The scope a route (on a method) or every route of a controller (on the class) needs,
 * checked by `TenantgateGuard` with `auth.authorize`: a string, or a function of the
 * platform's request. A method's scope wins over its controller's.
 *
 * @throws {ConfigError} at once, for a scope that is neither a non-empty string nor a function
 */
export function RequireScope(scope: ScopeOption<NestRequest>): CustomDecorator<string> {
  return SetMetadata(SCOPE_METADATA, checkedScope<NestRequest>(scope, '@RequireScope()'));
}

/**
 * The `AuthResult` of the request, as a route handler parameter: `read(@Auth() auth: AuthResult)`.
 * On a route `TenantgateGuard` does not guard it is an error (500), never `undefined`: a
 * handler written for authenticated requests must not run without one.
 */
export const Auth: () => ParameterDecorator = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const result = context.switchToHttp().getRequest<NestRequest>().auth;
  if (result === undefined || result === null) {
    throw new Error('@Auth() is used on a route that TenantgateGuard does not guard: add @UseGuards(TenantgateGuard).');
  }
  return result;
});
