/**
 * NestJS (11 and 12) on the Express and the Fastify platform: a module, a guard and two
 * decorators. Nest's decorators need no `emitDecoratorMetadata` here: tenantgate's providers
 * name their dependencies themselves.
 *
 * @example
 * ```ts
 * import { Controller, Get, Module, UseGuards } from '@nestjs/common';
 * import { Auth, RequireScope, TenantgateGuard, TenantgateModule } from 'tenantgate/nest';
 *
 * @Controller('metrics')
 * @UseGuards(TenantgateGuard)
 * class MetricsController {
 *   @Get()
 *   @RequireScope('metrics:read')
 *   read(@Auth() auth: AuthResult) {
 *     return { tenant: auth.tenant };
 *   }
 * }
 *
 * @Module({ imports: [TenantgateModule.forRoot({ authenticator: auth })], controllers: [MetricsController] })
 * class AppModule {}
 * ```
 * @packageDocumentation
 */
export { TenantgateModule, type TenantgateModuleAsyncOptions, type TenantgateModuleOptions } from './nest/tenantgate-module.js';
export { TenantgateGuard, TenantgateRefusal } from './nest/tenantgate-guard.js';
export { Auth, RequireScope } from './nest/decorators.js';
export { TENANTGATE_AUTHENTICATOR, type NestRequest } from './nest/tokens.js';
export type { AdapterOptions, ErrorResponse, ScopeOption } from './http.js';
export type { ClientCertificate, SenderOptions } from './request-details.js';
/** The status, headers and JSON body of a refusal; for an exception filter of your own. */
export { errorResponse } from './http.js';
