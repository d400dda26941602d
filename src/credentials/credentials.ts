import type { X509Certificate } from 'node:crypto';
import { BoundedMemo } from '../base/bounded-memo.js';
import { AuthError } from '../base/errors.js';
import { tenantIdProblem } from './tenant-id.js';

/** What `authenticate` reads from a request. */
export interface CredentialsInput {
  /** The `Authorization` header; an array when the request carried several. */
  authorization?: string | readonly string[] | undefined;
  /** The value of the configured `tenantHeader`; ignored when none is configured. */
  tenant?: string | readonly string[] | undefined;
  /** The `DPoP` header (RFC 9449), the proof that goes with `Authorization: DPoP`. */
  dpop?: string | readonly string[] | undefined;
  /** The request method, which a DPoP proof names (`htm`). */
  method?: string | undefined;
  /** The request's absolute URL as the client addressed it, which a DPoP proof names (`htu`). */
  url?: string | undefined;
  /**
   * The client's TLS certificate, for tokens bound to it (RFC 8705): an `X509Certificate`, PEM
   * (also URL-encoded, as proxies forward it) or DER. The adapters take it from the TLS socket.
   */
  clientCertificate?: X509Certificate | string | Buffer | undefined;
}

/** Credentials split into their parts; the token is not verified yet. */
export interface Credentials {
  /** How the client sent them. */
  scheme: 'bearer' | 'basic' | 'dpop';
  /** The tenant as sent (`a|b` for several), or `undefined`. */
  tenant: string | undefined;
  /** `tenant` split on `|`, each a valid tenant ID, without repeats (frozen). */
  tenants: string[];
  /** The compact JWT. */
  token: string;
  /** With the `dpop` scheme: the DPoP proof, not verified yet. */
  proof: string | undefined;
}

/** Which credentials an authenticator accepts. @internal */
export interface CredentialRules {
  bearer: boolean;
  basic: boolean;
  /** Whether the `DPoP` scheme is accepted, and whether it is the only one. */
  dpop: 'off' | 'allowed' | 'required';
  requireTenant: boolean;
  /** Lowercase name of the tenant header, when configured. */
  tenantHeader: string | undefined;
}

/** Longest Authorization header accepted, in bytes (Node decodes header values as latin1). */
export const MAX_AUTHORIZATION_LENGTH = 16 * 1024;

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const JWE_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 6750's b64token: what a bearer token may hold, opaque or not. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalidRequest(message: string): AuthError {
  return new AuthError('invalid_request', message);
}

/**
 * Splits the Authorization header (and the tenant header, when configured) into
 * tenant and token. The token's shape is checked by {@link checkTokenShape}, which the
 * authenticator runs only for tokens it has not verified before.
 *
 * @throws {AuthError} `credentials_missing` (401) or `invalid_request` (400)
 */
export function parseCredentials(input: CredentialsInput, rules: CredentialRules): Credentials {
  const header = single(input.authorization, 'Authorization');
  if (header === undefined) throw new AuthError('credentials_missing', 'no credentials were sent');
  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    throw invalidRequest(`the Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} bytes`);
  }
  const value = trimWhitespace(header);
  if (value === '') throw new AuthError('credentials_missing', 'no credentials were sent');
  const space = value.indexOf(' ');
  const scheme = schemeOf(value, space);
  let start = space === -1 ? value.length : space + 1;
  while (value.charCodeAt(start) === 0x20) start += 1;

  if (rules.dpop === 'required' && scheme !== 'dpop') throw dpopOnly();
  let tenant: string | undefined;
  let token: string;
  if ((scheme === 'bearer' && rules.bearer) || (scheme === 'dpop' && rules.dpop !== 'off')) {
    if (start === value.length) throw invalidRequest(`${scheme === 'dpop' ? 'DPoP' : 'Bearer'} credentials are empty`);
    // Sliced from the header itself: one string fewer per request.
    const colon = value.indexOf(':', start);
    tenant = colon === -1 ? undefined : value.slice(start, colon);
    token = colon === -1 ? value.slice(start) : value.slice(colon + 1);
  } else if (scheme === 'basic' && rules.basic) {
    const decoded = decodeBasic(value.slice(start));
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalidRequest('Basic credentials must be <tenant>:<jwt>');
    tenant = colon === 0 ? undefined : decoded.slice(0, colon);
    token = decoded.slice(colon + 1);
  } else {
    throw invalidRequest(unsupportedScheme(rules));
  }
  if (token === '') throw invalidRequest('the token is empty');

  tenant = reconcileTenant(tenant, input.tenant, rules);
  if (tenant === undefined && rules.requireTenant) {
    throw invalidRequest(
      scheme === 'basic'
        ? 'the tenant is missing: send the tenant as the Basic username'
        : `the tenant is missing: send ${scheme === 'dpop' ? 'DPoP' : 'Bearer'} <tenant>:<jwt>`,
    );
  }
  const tenants = tenant === undefined ? NO_TENANTS : splitTenants(tenant);
  return { scheme, tenant, tenants, token, proof: scheme === 'dpop' ? proofOf(input.dpop) : undefined };
}

/**
 * The one DPoP proof of a request (RFC 9449 §4.3: exactly one `DPoP` header). Node joins
 * repeated headers with commas, which no proof contains.
 * @throws {AuthError} `invalid_dpop_proof`
 */
function proofOf(header: CredentialsInput['dpop']): string {
  const values = typeof header === 'string' ? [header] : Array.isArray(header) ? header : [];
  if (values.length === 0 || values[0] === '') throw new AuthError('invalid_dpop_proof', 'the request has no DPoP proof header');
  const [proof] = values;
  if (values.length > 1 || typeof proof !== 'string' || proof.includes(',')) {
    throw new AuthError('invalid_dpop_proof', 'the request must carry exactly one DPoP proof header');
  }
  return proof;
}

function dpopOnly(): AuthError {
  return new AuthError('invalid_token', 'this resource accepts DPoP-bound tokens only: send Authorization: DPoP with a DPoP proof');
}

/**
 * Checks that `token` is a JWS in compact serialization before anything decodes it:
 * three non-empty base64url segments, no padding, no whitespace.
 *
 * @throws {AuthError} `invalid_token` (401)
 */
export function checkTokenShape(token: string): void {
  if (JWS_COMPACT.test(token)) return;
  throw new AuthError(
    'invalid_token',
    JWE_COMPACT.test(token)
      ? 'encrypted tokens (JWE) are not accepted'
      : 'the token is not a JWT in compact form (three base64url segments)',
  );
}

/**
 * Whether `token` goes to introspection rather than to JWS verification: anything but a
 * compact JWS, as long as it is a bearer token's characters (RFC 6750 §2.1).
 *
 * @throws {AuthError} `invalid_token` (401) when it is neither
 */
export function isOpaqueToken(token: string): boolean {
  if (JWS_COMPACT.test(token)) return false;
  if (B64TOKEN.test(token)) return true;
  throw new AuthError('invalid_token', 'the token is neither a JWT in compact form nor a bearer token (RFC 6750 b64token)');
}

/** {@link parseCredentials} followed by {@link checkTokenShape}. */
export function readCredentials(input: CredentialsInput, rules: CredentialRules): Credentials {
  const credentials = parseCredentials(input, rules);
  checkTokenShape(credentials.token);
  return credentials;
}

/**
 * Splits a tenant on `|` (tenant federation) and checks each ID against Mimir's rules.
 *
 * @throws {AuthError} `invalid_request` (400)
 */
export function splitTenants(tenant: string): string[] {
  const known = knownTenants.get(tenant);
  if (known !== undefined) return known;
  const ids = tenant.includes('|') ? tenant.split('|') : [tenant];
  for (const id of ids) {
    const problem = tenantIdProblem(id);
    if (problem !== undefined) {
      throw invalidRequest(ids.length > 1 ? `a tenant ID in the list ${problem}` : `the tenant ID ${problem}`);
    }
  }
  const tenants = Object.freeze(ids.length > 1 ? [...new Set(ids)] : ids) as string[];
  knownTenants.remember(tenant, tenants);
  return tenants;
}

/**
 * Valid tenant strings already split, so that a client's every request does not run the
 * tenant-ID checks again (a measurable part of a cached request). The arrays are frozen
 * and shared. Bounded; it starts over when full.
 */
const knownTenants = new BoundedMemo<string[]>(1024, 256);
const NO_TENANTS = Object.freeze([]) as unknown as string[];

/** The scheme, lowercased; `Bearer` is recognised without allocating (the hot path). */
function schemeOf(value: string, space: number): string {
  if (space === 6 && value.startsWith('Bearer')) return 'bearer';
  return (space === -1 ? value : value.slice(0, space)).toLowerCase();
}

function single(value: string | readonly string[] | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalidRequest(`the ${name} header is not text`);
  if (value.length === 0) return undefined;
  if (value.length > 1) throw invalidRequest(`more than one ${name} header was sent`);
  const [only] = value;
  if (typeof only !== 'string') throw invalidRequest(`the ${name} header is not text`);
  return only;
}

/**
 * Spaces and tabs cut from both ends by index. A regex such as `/^[ \t]+|[ \t]+$/g` is
 * quadratic on a long inner run of blanks (137 ms for a 16 KiB header), and
 * `authenticate()` takes raw values that Node's parser has not trimmed.
 */
function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start += 1;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function decodeBasic(encoded: string): string {
  if (encoded === '') throw invalidRequest('Basic credentials are empty');
  if (!BASE64.test(encoded)) throw invalidRequest('Basic credentials are not valid base64');
  const bytes = Buffer.from(encoded, 'base64');
  // Canonical form only: non-zero padding bits would let two encodings mean one thing.
  if (bytes.toString('base64') !== encoded) throw invalidRequest('Basic credentials are not valid base64');
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalidRequest('Basic credentials are not valid UTF-8');
  }
}

function reconcileTenant(
  fromCredentials: string | undefined,
  fromHeader: CredentialsInput['tenant'],
  rules: CredentialRules,
): string | undefined {
  if (rules.tenantHeader === undefined) return fromCredentials;
  const headerTenant = single(fromHeader, rules.tenantHeader);
  if (headerTenant === undefined || headerTenant === '') return fromCredentials;
  if (fromCredentials !== undefined && fromCredentials !== headerTenant) {
    throw invalidRequest(`the tenant in the credentials and the ${rules.tenantHeader} header differ`);
  }
  return headerTenant;
}

function unsupportedScheme(rules: CredentialRules): string {
  const accepted = [
    rules.bearer && 'Bearer <tenant>:<jwt>',
    rules.dpop !== 'off' && 'DPoP <tenant>:<jwt> with a DPoP proof',
    rules.basic && 'Basic credentials',
  ]
    .filter(Boolean)
    .join(' or ');
  return `the authorization scheme is not supported here; send ${accepted}`;
}
