/**
 * The base URL of a listening server, from `server.address()`.
 * @param {import('node:net').AddressInfo | string | null} address
 */
export function urlOf(address) {
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on TCP');
  const host =
    address.address === '0.0.0.0' || address.address === '::'
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}
