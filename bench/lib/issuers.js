// The local token issuers every implementation verifies against (createTestIssuer from
// tenantgate/testing), and their public keys for the verifiers that take a key, not a JWKS URL.
// The maps are filled by the runner before any scenario reads them.
import { createPublicKey } from 'node:crypto';

import { createTestIssuer } from 'tenantgate/testing';

import { AUDIENCE, ALGS } from './settings.js';

export const issuers = {};
export const keyObjects = {};

export async function createIssuers() {
  issuers.RS256 = await createTestIssuer({ algorithms: ['RS256'], audience: AUDIENCE });
  issuers.ES256 = await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE });
}

// One key fetch for fast-jwt and the crypto.verify floor: the issuer's JWKS, imported once.
async function fetchKey(issuer) {
  const response = await fetch(issuer.jwksUri);
  const { keys } = await response.json();
  if (keys.length !== 1) throw new Error('expected one key');
  return createPublicKey({ key: keys[0], format: 'jwk' });
}

export async function fetchKeys() {
  for (const alg of ALGS) keyObjects[alg] = await fetchKey(issuers[alg]);
}

export async function closeIssuers() {
  for (const issuer of Object.values(issuers)) await issuer.close();
}
