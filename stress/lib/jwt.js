// Minimal JWS signing with node:crypto, independent of the library under test: the hostile
// issuer and the floods need tokens whose keys, kids and payload bytes are chosen freely.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export function b64url(input) {
  return Buffer.from(input).toString('base64url');
}

/** An RSA key pair with its public (and, for hostile JWKS, private) JWK. */
export function makeRsaKey({ bits = 2048, kid = `stress-${randomBytes(6).toString('hex')}` } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, bits, privateKey, publicJwk, privateJwk };
}

/** A compact RS256 JWS over `payload` (an object, or a string sent byte for byte). */
export function signRs256(key, payload, header = {}) {
  const protectedHeader = { alg: 'RS256', typ: 'JWT', kid: key.kid, ...header };
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64url(JSON.stringify(protectedHeader))}.${b64url(body)}`;
  const signature = sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** Standard claims for `issuer`, valid for `lifetimeSeconds`. */
export function claimsFor(issuer, audience, extra = {}, lifetimeSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: audience, iat: now, exp: now + lifetimeSeconds, sub: 'pref-1234567890-stress', ...extra };
}

