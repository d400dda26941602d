// tenantgate/nest (the CommonJS build) in a Nest 11 application, which is CommonJS itself: a
// token for another tenant gets tenantgate's own 403, not Nest's generic exception body.
require('reflect-metadata');
const { Controller, Get, Module, UseGuards } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { createAuthenticator } = require('tenantgate');
const { createTestIssuer } = require('tenantgate/testing');
const { Auth, RequireScope, TenantgateGuard, TenantgateModule } = require('tenantgate/nest');

(async () => {
  const version = require('@nestjs/core/package.json').version;
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
  const refused = await fetch(url, { headers: { authorization: `Bearer t2:${await issuer.sign({ sub: 'team1' })}` } });
  const body = await refused.text();
  await app.close();
  await auth.close();
  await issuer.close();
  const ok = refused.status === 403 && body === '{"error":"insufficient_scope","error_description":"the access policy does not cover the requested tenant"}';
  console.log(`${ok ? 'ok  ' : 'FAIL'} nest ${version}, CommonJS build: ${refused.status} ${body}`);
  process.exitCode = ok ? 0 : 1;
})();
