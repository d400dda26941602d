/**
 * The IdP profiles of `createTestIssuer({ profile })`, by name, and how a profile shapes the
 * test issuer's keys. One file per IdP, each citing its documentation.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { JWK } from '../../token/jwt-types.js';
import { auth0 } from './auth0.js';
import { selfSignedCertificate } from './certificate.js';
import { cognito } from './cognito.js';
import { dex } from './dex.js';
import { entraMultitenant, entraV1, entraV2 } from './entra.js';
import { githubActions } from './github-actions.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { keycloak } from './keycloak.js';
import { okta } from './okta.js';
import type { TestProfile, TestProfileName } from './profile.js';

export type { ProfileContext, TestProfile, TestProfileName } from './profile.js';
export { ENTRA_TENANT_ID } from './entra.js';

export const PROFILES: Readonly<Record<TestProfileName, TestProfile>> = {
  keycloak,
  'entra-v1': entraV1,
  'entra-v2': entraV2,
  'entra-multitenant': entraMultitenant,
  okta,
  auth0,
  cognito,
  google,
  'github-actions': githubActions,
  gitlab,
  dex,
};

export const PROFILE_NAMES = Object.keys(PROFILES) as [TestProfileName, ...TestProfileName[]];

/**
 * A signing key's kid and public JWK as the profile's IdP publishes them: `alg` or not, `x5c`
 * with `x5t` (RSA keys only), `kid` equal to `x5t` (Entra).
 */
export function profileJwk(
  profile: TestProfile | undefined,
  alg: string,
  exported: JWK,
  privateKey: CryptoKey,
  publicKey: CryptoKey,
): { kid: string; publicJwk: JWK } {
  const kid = randomBytes(8).toString('base64url');
  if (profile === undefined) return { kid, publicJwk: { ...exported, kid, alg, use: 'sig' } };
  const certificate = profile.jwk.x5c && exported.kty === 'RSA' ? selfSignedCertificate(privateKey, publicKey, profile.name) : undefined;
  const finalKid = profile.jwk.kidIsX5t && certificate ? certificate.x5t : kid;
  const publicJwk: JWK = {
    kty: exported.kty,
    use: 'sig',
    kid: finalKid,
    ...(profile.jwk.alg ? { alg } : {}),
    ...exported,
    ...(certificate
      ? { x5c: [certificate.der.toString('base64')], x5t: certificate.x5t, ...(profile.jwk.x5tS256 ? { 'x5t#S256': certificate.x5tS256 } : {}) }
      : {}),
  };
  return { kid: finalKid, publicJwk };
}

/** Keycloak publishes an RSA-OAEP key with `use: 'enc'` beside its signing keys. */
export async function encryptionJwk(): Promise<JWK> {
  const { publicKey } = await generateKeyPair('RSA-OAEP', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(publicKey)), kid: randomBytes(8).toString('base64url'), alg: 'RSA-OAEP', use: 'enc' };
}
