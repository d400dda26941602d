import { createServer } from 'node:http';
import { urlOf } from './url.js';

/**
 * Serves `handler` (an Express app, or Koa's `app.callback()`) on `host:port`. If listening
 * fails, and when `close()` is called, the authenticator and the local issuer close too.
 * @param {import('node:http').RequestListener} handler
 * @param {{ port: number, host: string, auth: { close(): Promise<void> }, issuer?: { close(): Promise<void> } }} options
 */
export async function serve(handler, { port, host, auth, issuer }) {
  const server = createServer(handler);
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(undefined));
    });
  } catch (error) {
    await auth.close();
    await issuer?.close();
    throw error;
  }
  return {
    url: urlOf(server.address()),
    issuer,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeIdleConnections();
      });
      await auth.close();
      await issuer?.close();
    },
  };
}
