// A DPoP client for the demo: its own key pair, a token bound to that key (`cnf.jkt`), and a
// fresh proof (RFC 9449) for every request. A real client gets its token from the
// authorization server by sending a proof to the token endpoint; the local test issuer
// stands in for that here.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * @param {import('tenantgate/testing').TestIssuer} issuer signs the client's token
 * @param {{ subject?: string, tenant?: string }} [options]
 */
export async function createDpopClient(issuer, { subject = 'pref-1234567890-dpop-client', tenant = 'tenant-1' } = {}) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk);
  const token = await issuer.sign({ sub: subject, cnf: { jkt } }, { expiresIn: '1h' });
  const ath = createHash('sha256').update(token).digest('base64url');

  /**
   * A proof for one request: `htu` is the URL the client addresses (scheme, host and path;
   * the query is not part of it), `jti` is new each time.
   * @param {string} method
   * @param {string} url
   */
  async function proof(method, url) {
    const { origin, pathname } = new URL(url);
    return new SignJWT({ jti: randomUUID(), htm: method, htu: `${origin}${pathname}`, iat: Math.floor(Date.now() / 1000), ath })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
  }

  return {
    jkt,
    token,
    proof,
    /** The request headers carrying the token and `proof`. */
    headers: (/** @type {string} */ dpop) => ({ authorization: `DPoP ${tenant}:${token}`, dpop }),
  };
}
