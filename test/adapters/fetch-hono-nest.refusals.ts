// Every refusal an authenticator can give, and what the Express middleware sends for each over
// real HTTP: the fetch, Hono and Nest adapters must send the same status, headers and bytes.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { middleware as expressMiddleware } from '../../src/adapters/express.js';
import { AUTH_ERROR_STATUS, type AuthErrorCode } from '../../src/base/errors.js';
import { AuthError, type Authenticator } from '../../src/index.js';

/** One refusal of each code, with a scope and a retry hint where they belong. */
export function everyRefusal(): AuthError[] {
  return (Object.keys(AUTH_ERROR_STATUS) as AuthErrorCode[]).map((code) => {
    if (code === 'insufficient_scope') return new AuthError(code, `refused (${code})`, { scope: 'metrics:write' });
    if (AUTH_ERROR_STATUS[code] === 503) return new AuthError(code, `refused (${code})`, { retryAfter: 17 });
    return new AuthError(code, `refused (${code})`);
  });
}

/**
 * An authenticator that refuses every request with `refusal()`, as a user's wrapper could:
 * only the public members, so the adapters ask it through `authenticate()`.
 */
export function refusingAuthenticator(refusal: () => AuthError): Authenticator {
  return {
    tenantHeader: undefined,
    ready: () => Promise.resolve(),
    authenticate: () => Promise.reject(refusal()),
    authorize: () => undefined,
    protectedResourceMetadata: () => undefined,
    status: () => ({ ready: true, issuers: [] }),
    close: () => Promise.resolve(),
  } as unknown as Authenticator;
}

/** What a refusal looks like on the wire: the headers every adapter sets, and the body bytes. */
export interface WireRefusal {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

const COMPARED = ['www-authenticate', 'retry-after', 'cache-control', 'content-type'];

export async function wireRefusalOf(response: Response): Promise<WireRefusal> {
  const headers: Record<string, string | null> = {};
  for (const name of COMPARED) headers[name] = response.headers.get(name);
  return { status: response.status, headers, body: await response.text() };
}

/** What the Express middleware sends for each refusal of {@link everyRefusal}, over HTTP. */
export async function expressRefusals(): Promise<Map<AuthErrorCode, WireRefusal>> {
  const refusals = everyRefusal();
  let current = refusals[0] as AuthError;
  const app = express();
  app.get('/', expressMiddleware(refusingAuthenticator(() => current)), (_request, response) => {
    response.end('accepted');
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const answers = new Map<AuthErrorCode, WireRefusal>();
  try {
    for (const refusal of refusals) {
      current = refusal;
      answers.set(refusal.code, await wireRefusalOf(await fetch(`http://127.0.0.1:${port}/`)));
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return answers;
}
