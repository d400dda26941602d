// The fetch adapter under Bun or Deno, as a user of the published package would run it:
// `tenantgate`, `tenantgate/fetch` and `tenantgate/testing` from the built dist/, a real
// Bun.serve or Deno.serve server on 127.0.0.1, real requests with fetch, and the local
// issuer of tenantgate/testing running in the same runtime. Prints one line per check and a
// last line `ok|FAILED <runtime>: regex engine <name>`; exits 1 on a failure.
// TENANTGATE_REGEX_ENGINE forces the engine; status() must then name it.
import { createRequire } from 'node:module';
import { AuthError, createAuthenticator } from 'tenantgate';
import { authenticateRequest, errorResponse } from 'tenantgate/fetch';
import { createTestIssuer } from 'tenantgate/testing';

const runtime =
  typeof globalThis.Bun !== 'undefined'
    ? `bun ${globalThis.Bun.version}`
    : typeof globalThis.Deno !== 'undefined'
      ? `deno ${globalThis.Deno.version.deno}`
      : `node ${process.version}`;
const failures = [];

function check(name, passed, detail) {
  console.log(`${passed ? 'ok  ' : 'FAIL'} ${runtime}: ${name}${passed ? '' : ` (${detail})`}`);
  if (!passed) failures.push(name);
}

/** The engine tenantgate should pick: the forced one, else re2 when it loads and works here. */
function expectedEngine() {
  const forced = process.env.TENANTGATE_REGEX_ENGINE;
  if (forced) return forced;
  try {
    const RE2 = createRequire(import.meta.url)('re2');
    return new RE2('(x)', 'u').exec('x')?.[1] === 'x' ? 're2' : 're2js';
  } catch {
    return 're2js';
  }
}

function serve(handler) {
  if (typeof globalThis.Bun !== 'undefined') {
    const server = globalThis.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  }
  const server = globalThis.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handler);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const issuer = await createTestIssuer();
const auth = createAuthenticator({
  issuerUrl: issuer.url,
  audience: issuer.audience,
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { 1234567890: { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
});
const server = serve(async (request) => {
  try {
    const result = await authenticateRequest(auth, request, { scope: 'metrics:read' });
    return Response.json({ tenant: result.tenant, policy: result.accessPolicy.name });
  } catch (error) {
    if (!(error instanceof AuthError)) return new Response('unexpected', { status: 500 });
    // The body carries the OAuth error (RFC 6750); the program checks tenantgate's own code too.
    const response = errorResponse(error);
    response.headers.set('x-refusal-code', error.code);
    return response;
  }
});

try {
  const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
  const call = (authorization) => fetch(`${server.url}/metrics`, { headers: { authorization } });

  const good = await call(`Bearer tenant-1:${token}`);
  const goodBody = await good.json();
  check('a good token is 200 with its tenant and policy', good.status === 200 && goodBody.tenant === 'tenant-1' && goodBody.policy === '1234567890', `${good.status} ${JSON.stringify(goodBody)}`);

  const [head, payload, signature] = token.split('.');
  const forged = `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
  const bad = await call(`Bearer tenant-1:${forged}`);
  const badBody = await bad.json();
  const challenge = bad.headers.get('www-authenticate') ?? '';
  check(
    'a bad signature is 401 invalid_token with a Bearer challenge',
    bad.status === 401 &&
      bad.headers.get('x-refusal-code') === 'invalid_token' &&
      badBody.error === 'invalid_token' &&
      challenge.includes('Bearer realm="tenantgate"') &&
      challenge.includes('error="invalid_token"'),
    `${bad.status} ${JSON.stringify(badBody)} ${challenge}`,
  );

  const other = await call(`Bearer tenant-2:${token}`);
  const otherBody = await other.json();
  check(
    'a tenant the policy does not cover is 403 tenant_forbidden',
    other.status === 403 && other.headers.get('x-refusal-code') === 'tenant_forbidden' && otherBody.error === 'insufficient_scope',
    `${other.status} ${other.headers.get('x-refusal-code')} ${JSON.stringify(otherBody)}`,
  );

  const engine = auth.status().regexEngine;
  const expected = expectedEngine();
  check(`status().regexEngine is ${expected}`, engine === expected, `it is ${engine}`);
  console.log(`${failures.length === 0 ? 'ok' : 'FAILED'} ${runtime}: regex engine ${engine}${process.env.TENANTGATE_REGEX_ENGINE ? ' (forced)' : ''}`);
} catch (error) {
  check('the program ran to its end', false, error instanceof Error ? error.message : String(error));
} finally {
  await server.close();
  await auth.close();
  await issuer.close();
}
process.exit(failures.length === 0 ? 0 : 1);
