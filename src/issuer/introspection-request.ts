import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { fetchJson, type FetchJsonOptions } from './fetch-json.js';

/** How the resource server authenticates to the introspection endpoint. @internal */
export interface IntrospectionClient {
  clientId: string;
  /** `client_secret_basic`. */
  clientSecret: string | undefined;
  /** `private_key_jwt` (RFC 7523): a private JWK with its `alg`. */
  privateKey: JWK | undefined;
}

/** How long a client assertion is valid: long enough for one request. */
const ASSERTION_LIFETIME_SECONDS = 60;

/**
 * POSTs a token to an introspection endpoint (RFC 7662 §2.1) as the resource server's client,
 * with the deadline, body cap and no-redirect rule of every IdP fetch, and returns the parsed
 * JSON answer, unchecked.
 * @internal
 */
export class IntrospectionRequest {
  readonly #client: IntrospectionClient;
  readonly #basic: string | undefined;
  #signingKey: Promise<CryptoKey | KeyObject | Uint8Array> | undefined;

  constructor(client: IntrospectionClient) {
    this.#client = client;
    this.#basic =
      client.clientSecret === undefined
        ? undefined
        : `Basic ${Buffer.from(`${formEncoded(client.clientId)}:${formEncoded(client.clientSecret)}`).toString('base64')}`;
  }

  /** @throws {FetchError} when the endpoint cannot be reached or does not answer JSON with 200 */
  async send(endpoint: string, token: string, options: FetchJsonOptions): Promise<unknown> {
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    if (this.#basic !== undefined) return fetchJson(endpoint, options, { form, headers: { authorization: this.#basic } });
    form.set('client_id', this.#client.clientId);
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', await this.#assertion(endpoint));
    return fetchJson(endpoint, options, { form });
  }

  /**
   * A fresh signed assertion per request: its `jti` must not repeat. The audience is the
   * endpoint called, which Okta requires and oidc-provider and Keycloak accept.
   */
  async #assertion(endpoint: string): Promise<string> {
    const jwk = this.#client.privateKey as JWK;
    const alg = jwk.alg as string;
    this.#signingKey ??= importJWK(jwk, alg);
    const header = jwk.kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: jwk.kid };
    return new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(this.#client.clientId)
      .setSubject(this.#client.clientId)
      .setAudience(endpoint)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${ASSERTION_LIFETIME_SECONDS}s`)
      .sign(await this.#signingKey);
  }
}

/** RFC 6749 §2.3.1: the client ID and secret are form-encoded before Basic encoding. */
function formEncoded(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
