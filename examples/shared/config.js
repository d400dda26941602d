// Configuration shared by the examples.
//
// Without ISSUER_URL, a local OIDC issuer (`createTestIssuer` from 'tenantgate/testing') is
// started so that every example works out of the box and can print a ready-to-use curl command.
// With ISSUER_URL set, the examples trust that issuer instead; see `exampleConfig` below.
import { readFile } from 'node:fs/promises';
import { createTestIssuer } from 'tenantgate/testing';

/** The access policies of GEM's documentation example. */
export const DEFAULT_POLICIES = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': {
    scopes: ['metrics:read', 'metrics:write'],
    realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }],
  },
};

export const DEFAULT_ACCESS_POLICY_CLAIM = 'sub';
export const DEFAULT_ACCESS_POLICY_REGEX = 'pref-([0-9]+)-.*';
/** The audience of the local test issuer's tokens. */
export const TEST_AUDIENCE = 'metrics-api';

/**
 * Builds the options of `createAuthenticator`.
 *
 * - `ISSUER_URL` unset: starts a local test issuer and returns it as `issuer` (close it when done).
 * - `ISSUER_URL` set: `AUDIENCE` (required; comma-separated for several), `ACCESS_POLICY_CLAIM`
 *   (default `sub`), `ACCESS_POLICY_REGEX` (default `pref-([0-9]+)-.*`) and `POLICIES_FILE`
 *   (a JSON record of access policies keyed by name; default GEM's example policies).
 *
 * @param {Record<string, string | undefined>} [env]
 * @returns {Promise<{
 *   options: import('tenantgate').AuthenticatorOptions,
 *   issuer: import('tenantgate/testing').TestIssuer | undefined,
 * }>}
 */
export async function exampleConfig(env = process.env) {
  if (!env.ISSUER_URL) {
    const issuer = await createTestIssuer({ audience: TEST_AUDIENCE });
    return {
      issuer,
      options: {
        issuerUrl: issuer.url,
        audience: TEST_AUDIENCE,
        accessPolicyClaim: DEFAULT_ACCESS_POLICY_CLAIM,
        accessPolicyRegex: DEFAULT_ACCESS_POLICY_REGEX,
        accessPolicies: DEFAULT_POLICIES,
      },
    };
  }
  const audience = (env.AUDIENCE ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (audience.length === 0) {
    throw new Error('AUDIENCE must be set along with ISSUER_URL (the `aud` your tokens carry; comma-separated for several)');
  }
  return {
    issuer: undefined,
    options: {
      issuerUrl: env.ISSUER_URL,
      audience: audience.length === 1 ? audience[0] : audience,
      accessPolicyClaim: env.ACCESS_POLICY_CLAIM || DEFAULT_ACCESS_POLICY_CLAIM,
      accessPolicyRegex: env.ACCESS_POLICY_REGEX || DEFAULT_ACCESS_POLICY_REGEX,
      accessPolicies: env.POLICIES_FILE ? await readPolicies(env.POLICIES_FILE) : DEFAULT_POLICIES,
    },
  };
}

async function readPolicies(file) {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`POLICIES_FILE ${file} is not valid JSON: ${error.message}`);
  }
}

/**
 * Signs a token with the local test issuer whose `sub` maps to policy 1234567890
 * (read and write on tenant-1), valid for one hour.
 *
 * @param {import('tenantgate/testing').TestIssuer} issuer
 */
export function sampleToken(issuer) {
  return issuer.sign({ sub: 'pref-1234567890-example' }, { expiresIn: '1h' });
}
