import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The client the test issuer's introspection endpoint accepts (`client_secret_basic`). */
export interface TestIntrospectionClient {
  clientId: string;
  clientSecret: string;
}

/** The largest form the endpoint reads; a bigger one is refused with 413. */
const MAX_FORM_BYTES = 64 * 1024;

/**
 * Opaque access tokens of the test issuer and its RFC 7662 introspection endpoint: a token is
 * random, its claims stay here, and the endpoint answers `active: true` with them until the
 * token expires or is revoked. Only the configured client may ask.
 * @internal
 */
export class OpaqueTokens {
  readonly client: TestIntrospectionClient;
  readonly #claims = new Map<string, Record<string, unknown>>();

  constructor(client: TestIntrospectionClient) {
    this.client = client;
  }

  /** Makes an opaque token standing for `claims`. */
  issue(claims: Record<string, unknown>): string {
    const token = randomBytes(32).toString('base64url');
    this.#claims.set(token, claims);
    return token;
  }

  revoke(token: string): void {
    this.#claims.delete(token);
  }

  /** Answers one introspection request (RFC 7662 §2): 401 for a wrong client, else 200. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_FORM_BYTES) {
        send(response, 413, { error: 'invalid_request' });
        return;
      }
      if (request.method !== 'POST' || request.headers.authorization !== this.#expectedAuthorization()) {
        send(response, 401, { error: 'invalid_client' });
        return;
      }
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token');
      send(response, 200, this.#answer(token));
    });
  }

  #answer(token: string | null): Record<string, unknown> {
    const claims = token === null ? undefined : this.#claims.get(token);
    const exp = claims?.exp;
    if (claims === undefined || (typeof exp === 'number' && exp * 1000 <= Date.now())) return { active: false };
    return { active: true, token_type: 'Bearer', ...claims };
  }

  #expectedAuthorization(): string {
    const encoded = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
    return `Basic ${Buffer.from(`${encoded(this.client.clientId)}:${encoded(this.client.clientSecret)}`).toString('base64')}`;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
