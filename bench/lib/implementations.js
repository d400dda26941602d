// The implementations under test in the micro scenarios (hot, cold, mixed). Each factory
// returns a fresh instance (no cache, no keys); the scenarios prime it (discovery, key fetch)
// before any timing. verify(input) returns the claims (sync or a promise) or throws.
// Every one gets the same RS256 / ES256 tokens and the same iss / aud / alg / exp checks.
import { verify as cryptoVerify } from 'node:crypto';

import { createVerifier } from 'fast-jwt';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createAuthenticator } from 'tenantgate';

import { issuers, keyObjects } from './issuers.js';
import { log } from './log.js';
import { ALGS, AUDIENCE, POLICY } from './settings.js';
import { tokens } from './tokens.js';

export const IMPLEMENTATIONS = {
  tenantgate: {
    label: 'tenantgate authenticate',
    caches: true,
    async create(alg) {
      const issuer = issuers[alg];
      const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, algorithms: [alg], ...POLICY });
      await auth.ready();
      return {
        verify: (input) => auth.authenticate({ authorization: input.header }),
        close: () => auth.close(),
        auth,
      };
    },
  },
  'fast-jwt (cache)': {
    label: 'fast-jwt verifier, cache: true',
    caches: true,
    async create(alg) {
      return { verify: fastJwtVerifier(alg, true), close() {} };
    },
  },
  'fast-jwt': {
    label: 'fast-jwt verifier, no cache',
    async create(alg) {
      return { verify: fastJwtVerifier(alg, false), close() {} };
    },
  },
  jose: {
    label: 'jose jwtVerify + createRemoteJWKSet',
    async create(alg) {
      const issuer = issuers[alg];
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
      const options = { issuer: issuer.url, audience: AUDIENCE, algorithms: [alg], requiredClaims: ['exp'] };
      return { verify: (input) => jwtVerify(input.token, jwks, options), close() {} };
    },
  },
  'crypto.verify': {
    label: 'node:crypto verify, signature only (floor)',
    floor: true,
    async create(alg) {
      const key = alg === 'ES256' ? { key: keyObjects[alg], dsaEncoding: 'ieee-p1363' } : keyObjects[alg];
      return {
        verify(input) {
          const { token } = input;
          const dot = token.lastIndexOf('.');
          const ok = cryptoVerify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'));
          if (!ok) throw new Error('bad signature');
          return ok;
        },
        close() {},
      };
    },
  },
};
export const IMPL_NAMES = Object.keys(IMPLEMENTATIONS);

function fastJwtVerifier(alg, cache) {
  const issuer = issuers[alg];
  const verifier = createVerifier({
    key: keyObjects[alg].export({ type: 'spki', format: 'pem' }),
    algorithms: [alg],
    allowedIss: issuer.url,
    allowedAud: AUDIENCE,
    requiredClaims: ['exp'],
    cache,
  });
  return (input) => verifier(input.token);
}

/** Each implementation must accept the issuer's token and refuse a wrong aud and a wrong iss. */
export async function sanityCheck() {
  for (const alg of ALGS) {
    for (const name of IMPL_NAMES) {
      const impl = await IMPLEMENTATIONS[name].create(alg);
      await impl.verify(tokens[alg].hot);
      if (!IMPLEMENTATIONS[name].floor) {
        for (const bad of ['wrongAud', 'wrongIss']) {
          let refused = false;
          try {
            await impl.verify(tokens[alg][bad]);
          } catch {
            refused = true;
          }
          if (!refused) throw new Error(`${name} accepted a token with a ${bad} (${alg})`);
        }
      }
      await impl.close();
    }
  }
  log('sanity: every implementation accepts the valid tokens and refuses wrong aud / iss');
}
