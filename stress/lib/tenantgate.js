// The build under test: ../dist by default, or the dist folder named by STRESS_DIST (to run
// the suite against another build, such as an older one, for comparison).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const distUrl = process.env.STRESS_DIST
  ? pathToFileURL(`${resolve(process.env.STRESS_DIST)}/`)
  : new URL('../../dist/', import.meta.url);

if (!existsSync(new URL('index.js', distUrl)) || !existsSync(new URL('testing.js', distUrl))) {
  process.stderr.write(`stress: ${distUrl.pathname} has no index.js/testing.js; run npm run build\n`);
  process.exit(2);
}

export const distPath = distUrl.pathname;
export const { createAuthenticator, AuthError, ConfigError } = await import(new URL('index.js', distUrl).href);
export const { createTestIssuer } = await import(new URL('testing.js', distUrl).href);

/** The policy every stress token maps to (claim `sub`, regex `pref-([0-9]+)-.*`). */
export const TENANT = 'tenant-1';
export const SUBJECT = 'pref-1234567890-stress';

/** Options shared by every scenario's authenticator; `extra` adds to or replaces them. */
export function authOptions(issuerUrl, audience, extra = {}) {
  return {
    issuerUrl,
    audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: TENANT }] } },
    ...extra,
  };
}

export function bearer(token, tenant = TENANT) {
  return `Bearer ${tenant}:${token}`;
}
