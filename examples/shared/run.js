// Running an example from the command line: listen on PORT, print how to call it, and
// close cleanly on SIGINT (Ctrl-C) or SIGTERM.
import { sampleToken } from './config.js';

/**
 * @param {{
 *   name: string,
 *   start: (options: { port: number, host?: string }) => Promise<{ url: string, close(): Promise<void>, issuer?: import('tenantgate/testing').TestIssuer }>,
 *   requests: { method: string, path: string, headers?: Record<string, string>, note?: string }[],
 * }} example
 */
export async function runFromCommandLine({ name, start, requests }) {
  const port = Number(process.env.PORT || 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0 picks a free one), not ${JSON.stringify(process.env.PORT)}`);
  }
  const running = await start({ port, host: process.env.HOST || '127.0.0.1' });
  console.log(`${name} listening on ${running.url}`);
  if (running.issuer !== undefined) {
    const token = await sampleToken(running.issuer);
    console.log(`Using a local test issuer at ${running.issuer.url} (set ISSUER_URL to trust a real one).`);
    console.log('Try it with a token for tenant-1, valid for 1 hour (policy 1234567890: metrics:read, metrics:write):');
    for (const request of requests) console.log(`  ${curl(request, `tenant-1:${token}`, running.url)}`);
  } else {
    console.log('Try it with a token from your issuer:');
    for (const request of requests) console.log(`  ${curl(request, '<tenant>:<jwt>', running.url)}`);
  }
  console.log(`Without credentials the answer is 401: curl -i "${running.url}${requests[0]?.path ?? '/'}"`);

  let closing = false;
  const stop = (signal) => {
    if (closing) process.exit(130); // a second Ctrl-C does not wait
    closing = true;
    console.log(`${signal} received, closing`);
    running.close().then(
      () => console.log('closed'),
      (error) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * @param {{ method: string, path: string, headers?: Record<string, string>, note?: string }} request
 * @param {string} credentials
 * @param {string} url
 */
function curl({ method, path, headers = {}, note }, credentials, url) {
  const parts = ['curl'];
  if (method !== 'GET') parts.push(`-X ${method}`);
  for (const [name, value] of Object.entries(headers)) parts.push(`-H "${name}: ${value}"`);
  parts.push(`-H "Authorization: Bearer ${credentials}"`, `"${url}${path}"`);
  return note === undefined ? parts.join(' ') : `${parts.join(' ')}   # ${note}`;
}
