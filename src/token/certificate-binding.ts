import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { AuthError } from '../base/errors.js';

/** How a token's binding to a client certificate (RFC 8705 §3) is enforced: the `mtls.mode` option. @internal */
export type CertificateBindingMode = 'off' | 'allowed' | 'required';

const CONFIRMATION = 'cnf';
const CERTIFICATE_THUMBPRINT = 'x5t#S256';
const PEM_START = '-----BEGIN';

/**
 * The RFC 8705 §3.1 thumbprint of a client certificate: base64url of the SHA-256 of its DER
 * encoding, as a bound token's `cnf.x5t#S256` states it.
 *
 * Takes the certificate as a TLS socket gives it (`X509Certificate`), or as a TLS-terminating
 * proxy forwards it: a PEM string, also URL-encoded as nginx's `$ssl_client_escaped_cert`
 * sends it, or a Buffer holding DER or PEM.
 *
 * @throws {AuthError} `invalid_request` when the certificate cannot be parsed.
 * @internal
 */
export function certificateThumbprint(certificate: X509Certificate | string | Buffer): string {
  const der = derOf(certificate);
  if (der === undefined) throw new AuthError('invalid_request', 'the client certificate could not be read');
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * Checks a verified token's certificate binding against the certificate the client presented
 * (its {@link certificateThumbprint}, or `undefined` when none was). In `off` mode nothing is
 * checked. Otherwise a token that names a certificate in `cnf.x5t#S256` is accepted only with
 * that certificate, and in `required` mode a token that names none is refused too. A `cnf`
 * that is not an object, or an `x5t#S256` that is not a non-empty string, is refused: a binding
 * that cannot be read must not pass for no binding.
 *
 * @throws {AuthError} `invalid_token`
 * @internal
 */
export function checkCertificateBinding(
  claims: Readonly<Record<string, unknown>>,
  thumbprint: string | undefined,
  mode: CertificateBindingMode,
): void {
  if (mode === 'off') return;
  const bound = boundThumbprint(claims);
  if (bound === undefined) {
    if (mode === 'required') throw refused('the token is not bound to a client certificate');
    return;
  }
  if (thumbprint === undefined) throw refused('the token is bound to a client certificate that was not presented');
  if (!sameText(bound, thumbprint)) throw refused('the token is bound to another client certificate');
}

/** `cnf.x5t#S256`, own properties only: an inherited member is no claim. */
function boundThumbprint(claims: Readonly<Record<string, unknown>>): string | undefined {
  if (!Object.hasOwn(claims, CONFIRMATION)) return undefined;
  const confirmation = claims[CONFIRMATION];
  if (typeof confirmation !== 'object' || confirmation === null || Array.isArray(confirmation)) {
    throw refused("the token's cnf claim is not a JSON object");
  }
  if (!Object.hasOwn(confirmation, CERTIFICATE_THUMBPRINT)) return undefined;
  const bound = (confirmation as Record<string, unknown>)[CERTIFICATE_THUMBPRINT];
  if (typeof bound !== 'string' || bound === '') throw refused("the token's certificate thumbprint is not a string");
  return bound;
}

/**
 * Compared without an early exit. The lengths are not secret (a SHA-256 thumbprint is always 43
 * characters), so unequal lengths end the comparison at once, as `timingSafeEqual` needs.
 */
function sameText(expected: string, actual: string): boolean {
  const expectedBytes = Buffer.from(expected, 'utf8');
  const actualBytes = Buffer.from(actual, 'utf8');
  return expectedBytes.length === actualBytes.length && timingSafeEqual(expectedBytes, actualBytes);
}

/** The certificate's DER bytes, or `undefined` when it does not parse. */
function derOf(certificate: unknown): Buffer | undefined {
  if (certificate instanceof X509Certificate) return certificate.raw;
  let input: string | Buffer;
  if (typeof certificate === 'string') input = pemText(certificate);
  else if (Buffer.isBuffer(certificate)) input = certificate;
  else return undefined;
  try {
    return new X509Certificate(input).raw;
  } catch {
    return undefined;
  }
}

/**
 * A PEM string as given, or URL-decoded when that is what turns it into one. nginx's escaped
 * form still starts with `-----BEGIN` (only the space after it is `%20`), so the decoded text
 * is what decides, and a plain PEM (no `%` in base64) decodes to itself.
 */
function pemText(text: string): string {
  if (!text.includes('%')) return text;
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    return text;
  }
  return decoded.trimStart().startsWith(PEM_START) ? decoded : text;
}

function refused(message: string): AuthError {
  return new AuthError('invalid_token', message);
}
