// tenantgate/nest (the ESM build) in a Nest 11 application on the Express platform: a good
// token passes the guard with @RequireScope and @Auth, a missing one gets tenantgate's own 401.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createAuthenticator } from 'tenantgate';
import { createTestIssuer } from 'tenantgate/testing';
import { Auth, RequireScope, TenantgateGuard, TenantgateModule } from 'tenantgate/nest';

const version = createRequire(import.meta.url)('@nestjs/core/package.json').version;
const issuer = await createTestIssuer();
const auth = createAuthenticator({
  issuerUrl: issuer.url, audience: issuer.audience, accessPolicyClaim: 'sub', accessPolicyRegex: '(.*)',
  accessPolicies: { team1: { scopes: ['metrics:read'], realms: [{ tenant: 't1' }] } },
});
class WhoController {
  who(result) {
    return { tenant: result.tenant };
  }
}
const who = Object.getOwnPropertyDescriptor(WhoController.prototype, 'who');
Get('who')(WhoController.prototype, 'who', who);
RequireScope('metrics:read')(WhoController.prototype, 'who', who);
Auth()(WhoController.prototype, 'who', 0);
UseGuards(TenantgateGuard)(WhoController);
Controller()(WhoController);
class AppModule {}
Module({ imports: [TenantgateModule.forRoot({ authenticator: auth })], controllers: [WhoController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = `http://127.0.0.1:${app.getHttpServer().address().port}/who`;
const accepted = await fetch(url, { headers: { authorization: `Bearer t1:${await issuer.sign({ sub: 'team1' })}` } });
const acceptedBody = await accepted.text();
const refused = await fetch(url);
const refusedBody = await refused.text();
await app.close();
await auth.close();
await issuer.close();
const ok =
  accepted.status === 200 && acceptedBody === '{"tenant":"t1"}' &&
  refused.status === 401 && refused.headers.get('www-authenticate')?.startsWith('Bearer realm="tenantgate"') &&
  refusedBody === '{"error":"unauthorized","error_description":"no credentials were sent"}';
console.log(`${ok ? 'ok  ' : 'FAIL'} nest ${version}, ESM build: ${accepted.status} ${acceptedBody}; ${refused.status} ${refusedBody}`);
process.exitCode = ok ? 0 : 1;
