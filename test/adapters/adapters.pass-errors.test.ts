// Express `passErrors`: the refusal goes to the error path. Without a handler, Express's own
// final handler sends an HTML page that holds the stack when NODE_ENV is not production; the
// handler documented in docs/adapters.md sends exactly what the middleware would.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponse, middleware } from '../../src/adapters/express.js';
import { AuthError, createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor } from '../fixtures.js';

let issuer: TestIssuer;
let auth: Authenticator;
let server: Server;
let base: string;

const documentedHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (!(error instanceof AuthError)) {
    next(error);
    return;
  }
  const { status, headers, body } = errorResponse(error);
  res.status(status).set(headers).json(body);
};

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuthenticator(optionsFor(issuer));
  const app = express();
  const ok = (_req: express.Request, res: express.Response) => {
    res.json({ ok: true });
  };
  app.get('/answered', middleware(auth, { scope: 'metrics:read' }), ok);
  app.get('/handled', middleware(auth, { scope: 'metrics:read', passErrors: true }), ok, documentedHandler);
  app.get('/unhandled', middleware(auth, { scope: 'metrics:read', passErrors: true }), ok);
  // Express's final handler shows the stack unless NODE_ENV is production; vitest sets 'test'.
  app.set('env', 'development');
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await auth.close();
  await issuer.close();
});

async function call(path: string, authorization?: string) {
  const response = await fetch(`${base}${path}`, { headers: authorization === undefined ? {} : { authorization } });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe('Express passErrors', () => {
  it('leaks the stack through Express’s final handler when no error handler is added', async () => {
    const refused = await call('/unhandled');
    expect(refused.status).toBe(401);
    expect(refused.type).toMatch(/text\/html/);
    expect(refused.body).toMatch(/AuthError|at /);
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong tenant', 'tenant'],
    ['a broken token', 'Bearer t1:a.b.c'],
  ])('with the documented handler answers %s exactly as the middleware does', async (_, kind) => {
    const authorization = kind === 'tenant' ? `Bearer t2:${await issuer.sign({ sub: 'team1' })}` : kind;
    const answered = await call('/answered', authorization);
    const handled = await call('/handled', authorization);
    expect(answered.status).toBeGreaterThanOrEqual(400);
    expect(handled).toEqual(answered);
    expect(handled.body).not.toMatch(/ at /);
  });
});
