import type { IncomingMessage } from 'node:http';
import type { NestRequest } from './tokens.js';

/**
 * What the guard needs of the two Nest platforms, Express and Fastify: the Node request under
 * the platform's request, the URL the client addressed, and a way to set response headers.
 */

/** Node's request: the Express request itself, or the `raw` of Fastify's. @internal */
export function nodeRequestOf(request: NestRequest): IncomingMessage {
  const raw = request.raw;
  return (isNodeRequest(raw) ? raw : request) as unknown as IncomingMessage;
}

function isNodeRequest(value: unknown): value is IncomingMessage {
  return typeof value === 'object' && value !== null && Array.isArray((value as { rawHeaders?: unknown }).rawHeaders);
}

/**
 * The URL a request addressed, from the platform's protocol and host, which honour Express's
 * `trust proxy` and Fastify's `trustProxy` as the application set them. Express's host is
 * worked out as its `req.host` does (X-Forwarded-Host only from a trusted peer, port kept);
 * Fastify 4 has no `host`, and its `hostname` keeps the port.
 * @internal
 */
export function platformUrl(request: NestRequest): string | undefined {
  const protocol = request.protocol;
  if (typeof protocol !== 'string') return undefined;
  const node = nodeRequestOf(request);
  if (node !== (request as unknown)) {
    const host = typeof request.host === 'string' ? request.host : request.hostname;
    return typeof host === 'string' && typeof request.url === 'string' ? `${protocol}://${host}${request.url}` : undefined;
  }
  const app = request.app as { get?: (setting: string) => unknown } | undefined;
  const trust = app?.get?.('trust proxy fn');
  const trusted = typeof trust === 'function' && (trust as (address: string | undefined, hop: number) => boolean)(node.socket.remoteAddress, 0);
  const host = (trusted ? firstValue(node.headers['x-forwarded-host']) : undefined) ?? node.headers.host;
  const path = typeof request.originalUrl === 'string' ? request.originalUrl : node.url;
  return host === undefined || path === undefined ? undefined : `${protocol}://${host}${path}`;
}

/** The first of a header's comma-separated values (a proxy chain appends its own). */
function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

/** A response of either platform: Node's (Express) or Fastify's reply. @internal */
export interface PlatformResponse {
  setHeader?: (name: string, value: string) => unknown;
  header?: (name: string, value: string) => unknown;
}

/** Sets headers on the platform's response, which its exception filter then sends. @internal */
export function setHeaders(response: PlatformResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (typeof response.setHeader === 'function') response.setHeader(name, value);
    else response.header?.(name, value);
  }
}
