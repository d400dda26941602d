import type { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CredentialsInput } from '../credentials/credentials.js';

/** A client certificate as the core takes it: an `X509Certificate`, PEM (also URL-encoded) or DER. */
export type ClientCertificate = X509Certificate | string | Buffer;

/**
 * Adapter options for sender-constrained tokens. Both matter only behind a proxy: by
 * default the URL is rebuilt from the connection and the `Host` header, and the certificate
 * is the one the client presented on this TLS connection.
 */
export interface SenderOptions<Request> {
  /**
   * The absolute URL the client addressed, which its DPoP proof names (`htu`). Needed behind a
   * proxy that terminates TLS or rewrites the host or path, for example
   * `(req) => 'https://api.example.com' + req.originalUrl`.
   */
  requestUrl?: (request: Request) => string | undefined;
  /**
   * The client certificate of an mTLS-bound token, behind a proxy that terminates TLS (Envoy's
   * `x-forwarded-client-cert`, nginx's `$ssl_client_escaped_cert` in a header of your choice).
   * Only a proxy you trust may set that header: strip it from client requests there.
   */
  clientCertificate?: (request: Request) => ClientCertificate | undefined;
}

/** The parts of a Node request read for DPoP and mTLS. @internal */
export interface NodeRequestDetails {
  headers: IncomingHttpHeaders;
  method?: string | undefined;
  url?: string | undefined;
  /** Express's full path, before routers strip their mount path. */
  originalUrl?: string | undefined;
  socket?: unknown;
}

/**
 * Adds what DPoP and mTLS need to `input`: the proof, the method and URL (only when a proof
 * came: the cached path builds no URL otherwise), and the client certificate (only when
 * `certificate` is asked for, since reading it costs an object per request).
 * @internal
 */
export function addRequestDetails<Request>(
  input: CredentialsInput,
  node: NodeRequestDetails,
  request: Request,
  options: SenderOptions<Request>,
  certificate: boolean,
): CredentialsInput {
  const proof = node.headers.dpop;
  if (proof !== undefined) {
    input.dpop = proof;
    input.method = node.method;
    input.url = options.requestUrl?.(request) ?? urlOf(node);
  }
  if (certificate) {
    input.clientCertificate = options.clientCertificate === undefined ? peerCertificate(node.socket) : options.clientCertificate(request);
  }
  return input;
}

/** `scheme://host/path` of a request as it reached this server. */
function urlOf(node: NodeRequestDetails): string | undefined {
  const host = node.headers.host;
  const path = node.originalUrl ?? node.url;
  if (host === undefined || path === undefined) return undefined;
  const encrypted = (node.socket as Partial<TLSSocket> | undefined)?.encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${host}${path}`;
}

/** The certificate the client presented on this TLS connection, if any. @internal */
export function peerCertificate(socket: unknown): X509Certificate | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (tls?.encrypted !== true || typeof tls.getPeerX509Certificate !== 'function') return undefined;
  return tls.getPeerX509Certificate();
}

/**
 * Reads the credentials of a Web `Request` (fetch adapter, Hono). `Headers` joins repeated
 * lines with `, `, and no credential, tenant ID or DPoP proof holds a comma, so a comma means
 * several lines: they are passed on as a list, which the core refuses (400) as it does two
 * `Authorization` lines on Node.
 * @internal
 */
export function webCredentialsOf<Request>(
  request: globalThis.Request,
  tenantHeader: string | undefined,
  frameworkRequest: Request,
  options: SenderOptions<Request>,
  certificate: (() => ClientCertificate | undefined) | undefined,
): CredentialsInput {
  const headers = request.headers;
  const input: CredentialsInput = {
    authorization: linesOf(headers.get('authorization')),
    tenant: tenantHeader === undefined ? undefined : linesOf(headers.get(tenantHeader)),
    dpop: undefined,
    method: undefined,
    url: undefined,
    clientCertificate: undefined,
  };
  const proof = headers.get('dpop');
  if (proof !== null) {
    input.dpop = linesOf(proof);
    input.method = request.method;
    input.url = options.requestUrl?.(frameworkRequest) ?? request.url;
  }
  if (certificate !== undefined) {
    input.clientCertificate = options.clientCertificate === undefined ? certificate() : options.clientCertificate(frameworkRequest);
  }
  return input;
}

function linesOf(value: string | null): string | string[] | undefined {
  if (value === null) return undefined;
  return value.includes(',') ? value.split(',').map((line) => line.trim()) : value;
}
